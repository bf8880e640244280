//! OAuth 2.0 pieces that need no I/O: the authorization URL, the signed `state` that comes back
//! on the redirect, PKCE, token requests for each grant, and reading token responses and
//! their errors (RFC 6749, RFC 7636).

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::{
    definition::{ClientAuth, OAuth2AuthorizationCode, TokenResponse},
    path::JsonPath,
    template,
};

type HmacSha256 = Hmac<Sha256>;

/// How long an authorization may take between `startOAuth` and the redirect back.
pub const STATE_LIFETIME: Duration = Duration::minutes(15);

/// What the signed `state` carries through the provider's authorization page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateClaims {
    /// The connection being authorized.
    #[serde(rename = "c")]
    pub connection_id: String,
    /// Its workspace.
    #[serde(rename = "w")]
    pub workspace_id: String,
    /// When the state stops being accepted (unix seconds).
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// Random; also the seed of the PKCE verifier.
    #[serde(rename = "n")]
    pub nonce: String,
}

/// Why a `state` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not a state Patchbay issued, or altered.
    #[error("the state is not one Patchbay issued (or it was altered)")]
    Invalid,
    /// Issued, but too long ago.
    #[error("the authorization took too long; start it again")]
    Expired,
}

impl StateClaims {
    /// Claims for a connection, expiring [`STATE_LIFETIME`] after `now`.
    pub fn new(connection_id: &str, workspace_id: &str, now: DateTime<Utc>, nonce: String) -> Self {
        Self {
            connection_id: connection_id.to_owned(),
            workspace_id: workspace_id.to_owned(),
            expires_at: (now + STATE_LIFETIME).timestamp(),
            nonce,
        }
    }

    /// `base64url(json).base64url(HMAC-SHA256(key, json))`.
    pub fn sign(&self, key: &[u8; 32]) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(mac(key, b"state", &json))
        )
    }

    /// Checks the signature (in constant time) and the expiry.
    pub fn verify(state: &str, key: &[u8; 32], now: DateTime<Utc>) -> Result<Self, StateError> {
        let (payload, signature) = state.split_once('.').ok_or(StateError::Invalid)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| StateError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| StateError::Invalid)?;
        let mut check = HmacSha256::new_from_slice(key).map_err(|_| StateError::Invalid)?;
        check.update(b"state");
        check.update(&json);
        check
            .verify_slice(&signature)
            .map_err(|_| StateError::Invalid)?;
        let claims: Self = serde_json::from_slice(&json).map_err(|_| StateError::Invalid)?;
        if now.timestamp() > claims.expires_at {
            return Err(StateError::Expired);
        }
        Ok(claims)
    }

    /// The PKCE code verifier of this authorization: derived from the nonce with the key, so
    /// it is never stored nor sent anywhere but the token endpoint (43 URL-safe characters).
    pub fn pkce_verifier(&self, key: &[u8; 32]) -> String {
        URL_SAFE_NO_PAD.encode(mac(key, b"pkce", self.nonce.as_bytes()))
    }
}

#[allow(clippy::expect_used, reason = "HMAC accepts keys of any length")]
fn mac(key: &[u8; 32], purpose: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(purpose);
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The S256 code challenge of a PKCE verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The provider's authorization page for this connection.
pub fn authorize_url(
    oauth: &OAuth2AuthorizationCode,
    settings: &BTreeMap<String, String>,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    code_challenge: Option<&str>,
) -> Result<Url, String> {
    let fill = |text: &str| {
        template::render(text, |name| settings.get(name).cloned()).map_err(|e| e.to_string())
    };
    let mut url = Url::parse(&fill(&oauth.authorize_url)?)
        .map_err(|e| format!("the authorization URL is not valid: {e}"))?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        if !oauth.scopes.is_empty() {
            query.append_pair("scope", &oauth.scopes.join(&oauth.scope_separator));
        }
        if let Some(challenge) = code_challenge {
            query
                .append_pair("code_challenge", challenge)
                .append_pair("code_challenge_method", "S256");
        }
        for (name, value) in &oauth.authorize_params {
            query.append_pair(name, &fill(value)?);
        }
    }
    Ok(url)
}

/// What is asked of the token endpoint.
pub enum Grant<'a> {
    /// Exchange the code of the redirect (authorization code grant).
    Code {
        /// The code.
        code: &'a str,
        /// The same redirect URI as in the authorization request.
        redirect_uri: &'a str,
        /// The PKCE verifier, when the definition uses PKCE.
        verifier: Option<&'a str>,
    },
    /// Trade a refresh token for new tokens.
    Refresh {
        /// The stored refresh token.
        refresh_token: &'a str,
    },
    /// Machine-to-machine: the client's own credentials.
    ClientCredentials {
        /// Scopes requested.
        scopes: &'a [String],
        /// How they are joined.
        separator: &'a str,
    },
}

/// A token request, ready for the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The token endpoint.
    pub url: String,
    /// Form fields of the body.
    pub form: Vec<(String, String)>,
    /// HTTP basic credentials (client id, secret) when the client authenticates that way.
    pub basic: Option<(String, String)>,
}

/// The client of a token request.
pub struct Client<'a> {
    /// `client_id`.
    pub id: &'a str,
    /// `client_secret`.
    pub secret: &'a str,
    /// How they are sent.
    pub auth: ClientAuth,
}

/// Builds the token request of a grant; `url` and `params` are templates over settings.
pub fn token_request(
    url: &str,
    params: &BTreeMap<String, String>,
    client: &Client<'_>,
    grant: &Grant<'_>,
    settings: &BTreeMap<String, String>,
) -> Result<TokenRequest, String> {
    let fill = |text: &str| {
        template::render(text, |name| settings.get(name).cloned()).map_err(|e| e.to_string())
    };
    let mut form: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, value: &str| form.push((name.to_owned(), value.to_owned()));
    match grant {
        Grant::Code {
            code,
            redirect_uri,
            verifier,
        } => {
            push("grant_type", "authorization_code");
            push("code", code);
            push("redirect_uri", redirect_uri);
            if let Some(verifier) = verifier {
                push("code_verifier", verifier);
            }
        }
        Grant::Refresh { refresh_token } => {
            push("grant_type", "refresh_token");
            push("refresh_token", refresh_token);
        }
        Grant::ClientCredentials { scopes, separator } => {
            push("grant_type", "client_credentials");
            if !scopes.is_empty() {
                push("scope", &scopes.join(separator));
            }
        }
    }
    let basic = match client.auth {
        ClientAuth::Body => {
            push("client_id", client.id);
            push("client_secret", client.secret);
            None
        }
        ClientAuth::Basic => Some((client.id.to_owned(), client.secret.to_owned())),
    };
    for (name, value) in params {
        form.push((name.clone(), fill(value)?));
    }
    Ok(TokenRequest {
        url: fill(url)?,
        form,
        basic,
    })
}

/// Tokens read from a token response.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// A refresh token, when the response carries one (a rotated one replaces the stored one).
    pub refresh_token: Option<String>,
    /// When the access token expires, when known.
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"**REDACTED**")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Reads the tokens of a successful token response.
pub fn parse_tokens(
    body: &Value,
    spec: &TokenResponse,
    now: DateTime<Utc>,
) -> Result<Tokens, String> {
    let text = |path: &str| {
        JsonPath::parse(path)
            .ok()
            .and_then(|p| p.lookup(body).cloned())
            .and_then(|v| match v {
                Value::String(s) if !s.is_empty() => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    };
    let access_token = text(&spec.access_token_path).ok_or_else(|| {
        format!(
            "the token response has no access token at `{}`",
            spec.access_token_path
        )
    })?;
    let lifetime = text(&spec.expires_in_path)
        .and_then(|s| s.parse::<i64>().ok())
        .or(spec
            .default_expires_in_seconds
            .and_then(|s| i64::try_from(s).ok()));
    Ok(Tokens {
        access_token,
        refresh_token: text(&spec.refresh_token_path),
        expires_at: lifetime.map(|seconds| now + Duration::seconds(seconds)),
    })
}

/// Settings read from a token response or the redirect's query: setting name → path.
pub fn settings_from(
    source: &Value,
    mapping: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    mapping
        .iter()
        .filter_map(|(setting, path)| {
            let value = JsonPath::parse(path).ok()?.lookup(source)?;
            let text = template::value_text(value);
            (!text.is_empty()).then(|| (setting.clone(), text))
        })
        .collect()
}

/// How a token endpoint refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFailure {
    /// The grant is no longer valid (`invalid_grant`: revoked, expired, or already used
    /// refresh token): the user must authorize again.
    Revoked(String),
    /// Another refusal (bad client credentials, bad request): also needs a person.
    Rejected(String),
}

/// Classifies a token endpoint's 4xx answer from its RFC 6749 error body.
pub fn token_failure(body: &Value, excerpt: &str) -> TokenFailure {
    let error = body
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let description = body
        .get("error_description")
        .and_then(Value::as_str)
        .map(|d| format!("{error}: {d}"))
        .unwrap_or_else(|| {
            if error.is_empty() {
                excerpt.to_owned()
            } else {
                error.to_owned()
            }
        });
    if error == "invalid_grant" {
        TokenFailure::Revoked(description)
    } else {
        TokenFailure::Rejected(description)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time")
    }

    #[test]
    fn a_signed_state_verifies_and_an_altered_one_does_not() {
        let claims = StateClaims::new("conn", "ws", now(), "nonce".into());
        let state = claims.sign(&KEY);
        assert_eq!(StateClaims::verify(&state, &KEY, now()), Ok(claims.clone()));
        let (payload, signature) = state.split_once('.').expect("two parts");
        let other = StateClaims::new("other", "ws", now(), "nonce".into()).sign(&KEY);
        let forged = format!("{}.{signature}", other.split_once('.').expect("two").0);
        for bad in [
            forged.as_str(),
            payload,
            "",
            "a.b",
            &format!("{payload}.{}", &signature[1..]),
        ] {
            assert_eq!(
                StateClaims::verify(bad, &KEY, now()),
                Err(StateError::Invalid),
                "{bad}"
            );
        }
        assert_eq!(
            StateClaims::verify(&state, &[8; 32], now()),
            Err(StateError::Invalid)
        );
    }

    #[test]
    fn a_state_expires() {
        let state = StateClaims::new("conn", "ws", now(), "n".into()).sign(&KEY);
        let later = now() + STATE_LIFETIME + Duration::seconds(1);
        assert_eq!(
            StateClaims::verify(&state, &KEY, later),
            Err(StateError::Expired)
        );
    }

    #[test]
    fn pkce_follows_rfc_7636() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let claims = StateClaims::new("c", "w", now(), "n1".into());
        let verifier = claims.pkce_verifier(&KEY);
        assert_eq!(verifier.len(), 43);
        assert_eq!(verifier, claims.pkce_verifier(&KEY));
        let other = StateClaims::new("c", "w", now(), "n2".into());
        assert_ne!(verifier, other.pkce_verifier(&KEY));
    }

    fn definition() -> OAuth2AuthorizationCode {
        serde_json::from_value(json!({
            "authorize_url": "https://{domain}/authorize?audience=api",
            "token_url": "https://{domain}/token",
            "scopes": ["read", "write"],
            "scope_separator": ",",
            "pkce": true,
            "authorize_params": {"access_type": "offline"}
        }))
        .expect("definition")
    }

    #[test]
    fn the_authorize_url_carries_everything_the_provider_needs() {
        let settings = BTreeMap::from([("domain".to_owned(), "id.example.com".to_owned())]);
        let url = authorize_url(
            &definition(),
            &settings,
            "client 1",
            "https://pb.example/oauth/callback",
            "st",
            Some("ch"),
        )
        .expect("url");
        let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(url.host_str(), Some("id.example.com"));
        assert_eq!(query["audience"], "api");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "client 1");
        assert_eq!(query["redirect_uri"], "https://pb.example/oauth/callback");
        assert_eq!(query["state"], "st");
        assert_eq!(query["scope"], "read,write");
        assert_eq!(query["code_challenge"], "ch");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["access_type"], "offline");
        let missing = authorize_url(&definition(), &BTreeMap::new(), "c", "r", "s", None);
        assert!(missing.unwrap_err().contains("domain"));
    }

    #[test]
    fn token_requests_for_each_grant_and_client_auth() {
        let settings = BTreeMap::from([("domain".to_owned(), "id.example.com".to_owned())]);
        let body_client = Client {
            id: "id",
            secret: "secret",
            auth: ClientAuth::Body,
        };
        let code = token_request(
            "https://{domain}/token",
            &BTreeMap::from([("audience".to_owned(), "{domain}".to_owned())]),
            &body_client,
            &Grant::Code {
                code: "abc",
                redirect_uri: "https://r",
                verifier: Some("v"),
            },
            &settings,
        )
        .expect("request");
        assert_eq!(code.url, "https://id.example.com/token");
        assert_eq!(code.basic, None);
        let pairs = |r: &TokenRequest| -> Vec<String> {
            r.form.iter().map(|(k, v)| format!("{k}={v}")).collect()
        };
        assert_eq!(
            pairs(&code),
            [
                "grant_type=authorization_code",
                "code=abc",
                "redirect_uri=https://r",
                "code_verifier=v",
                "client_id=id",
                "client_secret=secret",
                "audience=id.example.com"
            ]
        );
        let basic_client = Client {
            auth: ClientAuth::Basic,
            ..body_client
        };
        let refresh = token_request(
            "https://t",
            &BTreeMap::new(),
            &basic_client,
            &Grant::Refresh {
                refresh_token: "r1",
            },
            &settings,
        )
        .expect("request");
        assert_eq!(
            pairs(&refresh),
            ["grant_type=refresh_token", "refresh_token=r1"]
        );
        assert_eq!(refresh.basic, Some(("id".into(), "secret".into())));
        let scopes = vec!["a".to_owned(), "b".to_owned()];
        let machine = token_request(
            "https://t",
            &BTreeMap::new(),
            &basic_client,
            &Grant::ClientCredentials {
                scopes: &scopes,
                separator: " ",
            },
            &settings,
        )
        .expect("request");
        assert_eq!(
            pairs(&machine),
            ["grant_type=client_credentials", "scope=a b"]
        );
    }

    #[test]
    fn token_responses_are_read_with_the_definition_paths() {
        let spec = TokenResponse::default();
        let tokens = parse_tokens(
            &json!({"access_token": "at", "refresh_token": "rt", "expires_in": 3600}),
            &spec,
            now(),
        )
        .expect("tokens");
        assert_eq!(tokens.access_token, "at");
        assert_eq!(tokens.refresh_token.as_deref(), Some("rt"));
        assert_eq!(tokens.expires_at, Some(now() + Duration::hours(1)));
        // A string lifetime, no refresh token.
        let tokens = parse_tokens(
            &json!({"access_token": "at", "expires_in": "60"}),
            &spec,
            now(),
        )
        .expect("tokens");
        assert_eq!(tokens.refresh_token, None);
        assert_eq!(tokens.expires_at, Some(now() + Duration::seconds(60)));
        // Nested paths and a default lifetime (Salesforce sends none).
        let nested = TokenResponse {
            access_token_path: "authed_user.access_token".into(),
            default_expires_in_seconds: Some(7200),
            ..TokenResponse::default()
        };
        let tokens = parse_tokens(
            &json!({"authed_user": {"access_token": "xoxp-secret"}}),
            &nested,
            now(),
        )
        .expect("tokens");
        assert_eq!(tokens.access_token, "xoxp-secret");
        assert_eq!(tokens.expires_at, Some(now() + Duration::hours(2)));
        assert!(
            parse_tokens(&json!({"token": "x"}), &spec, now())
                .unwrap_err()
                .contains("access_token")
        );
        assert!(!format!("{tokens:?}").contains("xoxp-secret"));
    }

    #[test]
    fn settings_come_from_the_token_response() {
        let mapping = BTreeMap::from([
            ("instance_url".to_owned(), "instance_url".to_owned()),
            ("team".to_owned(), "team.id".to_owned()),
            ("absent".to_owned(), "nothing".to_owned()),
        ]);
        let got = settings_from(
            &json!({"instance_url": "https://na1.example.com", "team": {"id": 42}}),
            &mapping,
        );
        assert_eq!(
            got,
            BTreeMap::from([
                (
                    "instance_url".to_owned(),
                    "https://na1.example.com".to_owned()
                ),
                ("team".to_owned(), "42".to_owned()),
            ])
        );
    }

    #[test]
    fn invalid_grant_means_revoked() {
        assert_eq!(
            token_failure(
                &json!({"error": "invalid_grant", "error_description": "expired access/refresh token"}),
                "…"
            ),
            TokenFailure::Revoked("invalid_grant: expired access/refresh token".into())
        );
        assert_eq!(
            token_failure(&json!({"error": "invalid_client"}), "…"),
            TokenFailure::Rejected("invalid_client".into())
        );
        assert_eq!(
            token_failure(&Value::Null, "Bad Request"),
            TokenFailure::Rejected("Bad Request".into())
        );
    }
}
