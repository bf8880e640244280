//! The SSRF guard: URLs a user gives (a base-URL override, an OAuth URL, a webhook target) may
//! not reach loopback, private, link-local, metadata or otherwise non-public addresses, checked
//! after DNS resolution, unless the operator allows private networks
//! (`PATCHBAY_ALLOW_PRIVATE_NETWORKS`, e.g. for self-hosted services or tests).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

use crate::{Error, Result};

/// Whether an address must not be reached on a user's behalf.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_forbidden_v4(v4),
            None => is_forbidden_v6(v6),
        },
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16, cloud metadata included
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7 (AWS metadata fd00:ec2::254)
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || ip.to_ipv4().is_some_and(|v4| v4 != Ipv4Addr::new(0, 0, 0, 1) && is_forbidden_v4(v4))
}

/// Checks the shape of a user-given URL: `http` or `https`, a host, no credentials inside.
pub fn parse_url(raw: &str, field: &str) -> Result<Url> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::invalid_field(field, format!("not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_field(
            field,
            "only http and https URLs are allowed",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_field(field, "the URL needs a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_field(
            field,
            "put credentials in the connection's credentials, not in the URL",
        ));
    }
    Ok(url)
}

/// Checks a user-given URL and every address its host resolves to.
pub async fn check_url(raw: &str, field: &str, allow_private: bool) -> Result<Url> {
    let url = parse_url(raw, field)?;
    if allow_private {
        return Ok(url);
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| Error::invalid_field(field, format!("cannot resolve `{host}`: {e}")))?
            .map(|address| address.ip())
            .collect(),
    };
    if let Some(ip) = addresses.iter().find(|ip| is_forbidden(**ip)) {
        return Err(Error::invalid_field(
            field,
            format!(
                "`{host}` points at a private, loopback or link-local address ({ip}); an operator \
                 can allow such targets with PATCHBAY_ALLOW_PRIVATE_NETWORKS=true"
            ),
        ));
    }
    Ok(url)
}

/// A DNS resolver for the provider HTTP client that drops non-public addresses at connect
/// time, so a host that resolved to a public address when it was checked cannot be re-pointed
/// at a private one later (DNS rebinding), whatever URL a definition or a provider's next-page
/// link names. IP literals skip DNS; [`refuses_literal`] checks those.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnlyResolver;

/// The error a connection attempt carries when every address of the host was dropped.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` resolves only to private, loopback or link-local addresses")]
pub struct Refused(pub String);

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| !is_forbidden(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a URL names a forbidden IP address literally (no DNS involved).
pub fn refuses_literal(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_forbidden(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_forbidden(IpAddr::V6(ip)),
        _ => false,
    }
}

/// Whether an error (or one of its causes) is the resolver's refusal.
pub fn is_refusal(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<Refused>() {
            return true;
        }
        current = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_resolver_drops_private_addresses() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let Err(refused) = PublicOnlyResolver.resolve(name).await else {
            panic!("localhost must be refused");
        };
        assert!(is_refusal(refused.as_ref()), "{refused}");
        assert!(refuses_literal(
            &Url::parse("http://169.254.169.254/x").unwrap()
        ));
        assert!(refuses_literal(&Url::parse("http://[::1]:80/").unwrap()));
        assert!(!refuses_literal(
            &Url::parse("http://example.com/").unwrap()
        ));
        assert!(!refuses_literal(&Url::parse("http://8.8.8.8/").unwrap()));
    }

    #[test]
    fn non_public_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_need_http_a_host_and_no_credentials() {
        for bad in [
            "ftp://example.com",
            "file:///etc/passwd",
            "http://user:pw@example.com",
            "not a url",
            "http://",
        ] {
            assert!(
                matches!(parse_url(bad, "u"), Err(Error::InvalidInput { .. })),
                "{bad}"
            );
        }
        assert!(parse_url("https://api.example.com/v1", "u").is_ok());
    }

    #[tokio::test]
    async fn resolved_private_targets_are_refused_unless_allowed() {
        for target in [
            "http://127.0.0.1:8080",
            "http://localhost/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
        ] {
            let refused = check_url(target, "baseUrlOverride", false).await;
            assert!(
                matches!(&refused, Err(Error::InvalidInput { field: Some(f), .. }) if f == "baseUrlOverride"),
                "{target}: {refused:?}"
            );
            assert!(
                check_url(target, "baseUrlOverride", true).await.is_ok(),
                "{target}"
            );
        }
    }
}
