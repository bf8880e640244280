//! What a connection must supply for its connector (pure): which credentials each auth kind
//! takes, the settings with their defaults, and the base URL they produce.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::{
    Error, Result,
    connectors::{
        definition::{Auth, Definition},
        template,
    },
};

/// Credentials a connection may give for this auth kind: (required, optional).
pub fn credential_names(definition: &Definition) -> (Vec<&'static str>, Vec<&'static str>) {
    let (required, mut optional): (Vec<&str>, Vec<&str>) = match &definition.auth {
        Auth::Oauth2AuthorizationCode(_) => (
            vec!["client_id", "client_secret"],
            vec!["access_token", "refresh_token"],
        ),
        Auth::Oauth2ClientCredentials(_) => (vec!["client_id", "client_secret"], vec![]),
        Auth::ApiKey(_) => (vec!["api_key"], vec![]),
        Auth::Basic(_) => (vec!["username", "password"], vec![]),
        Auth::Bearer(_) => (vec!["token"], vec![]),
        Auth::None(_) => (vec![], vec![]),
    };
    if definition.webhooks.is_some() {
        optional.push("webhook_secret");
    }
    (required, optional)
}

/// Checks given credentials against the auth kind; every value must be a non-empty string.
pub fn check_credentials(
    definition: &Definition,
    given: &Map<String, Value>,
    require_all: bool,
) -> Result<BTreeMap<String, String>> {
    let (required, optional) = credential_names(definition);
    let mut out = BTreeMap::new();
    for (name, value) in given {
        if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
            let accepted: Vec<&str> = required.iter().chain(&optional).copied().collect();
            return Err(Error::invalid_field(
                format!("credentials.{name}"),
                format!(
                    "not a credential of this connector; it takes: {}",
                    accepted.join(", ")
                ),
            ));
        }
        match value {
            Value::String(s) if !s.trim().is_empty() => {
                out.insert(name.clone(), s.clone());
            }
            _ => {
                return Err(Error::invalid_field(
                    format!("credentials.{name}"),
                    "must be a non-empty string",
                ));
            }
        }
    }
    if require_all && let Some(missing) = required.iter().find(|name| !out.contains_key(**name)) {
        return Err(Error::invalid_field(
            format!("credentials.{missing}"),
            "required",
        ));
    }
    Ok(out)
}

/// Settings after defaults; unknown names are refused, and required ones must be present
/// unless the OAuth flow fills them later.
pub fn resolve_settings(
    definition: &Definition,
    given: &Map<String, Value>,
) -> Result<BTreeMap<String, String>> {
    let declared: BTreeSet<&str> = definition
        .settings
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let filled_by_oauth: BTreeSet<&str> = match &definition.auth {
        Auth::Oauth2AuthorizationCode(oauth) => oauth
            .settings_from_token_response
            .keys()
            .chain(oauth.settings_from_callback.keys())
            .map(String::as_str)
            .collect(),
        _ => BTreeSet::new(),
    };
    let mut out = BTreeMap::new();
    for (name, value) in given {
        if !declared.contains(name.as_str()) {
            return Err(Error::invalid_field(
                format!("settings.{name}"),
                format!(
                    "not a setting of this connector; it takes: {}",
                    declared.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(Error::invalid_field(
                    format!("settings.{name}"),
                    "must be a string, a number or a boolean",
                ));
            }
        };
        out.insert(name.clone(), text);
    }
    for setting in &definition.settings {
        if out.contains_key(&setting.name) {
            continue;
        }
        if let Some(default) = &setting.default {
            out.insert(setting.name.clone(), default.clone());
        } else if setting.required && !filled_by_oauth.contains(setting.name.as_str()) {
            return Err(Error::invalid_field(
                format!("settings.{}", setting.name),
                "required",
            ));
        }
    }
    Ok(out)
}

/// The base URL requests go to: the override, else the sandbox or production template
/// filled with the settings (`None` while a setting the OAuth flow fills is still missing).
pub fn base_url(
    definition: &Definition,
    sandbox: bool,
    settings: &BTreeMap<String, String>,
    override_url: Option<&str>,
) -> Option<String> {
    if let Some(url) = override_url {
        return Some(url.to_owned());
    }
    let template_text = match (&definition.sandbox_base_url, sandbox) {
        (Some(sandbox_url), true) => sandbox_url,
        _ => &definition.base_url,
    };
    template::render(template_text, |name| settings.get(name).cloned()).ok()
}
