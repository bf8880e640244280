//! Scopes: `resource:read`, `resource:write` (which implies read), and `*` for everything in
//! the key's own workspace.
//!
//! `workspaces:read` and `workspaces:write` reach across workspaces (list every workspace,
//! create one, create its first key), so `*` does not include them: they are granted
//! explicitly, as the bootstrap admin key has them.

use std::{fmt, str::FromStr};

use crate::{Error, Result};

/// A domain of the API that scopes are granted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Connectors,
    Connections,
    Syncs,
    Records,
    Mappings,
    Insights,
    Webhooks,
    Keys,
    Workspaces,
}

impl Resource {
    /// Every resource, in the order they are documented.
    pub const ALL: [Resource; 9] = [
        Self::Connectors,
        Self::Connections,
        Self::Syncs,
        Self::Records,
        Self::Mappings,
        Self::Insights,
        Self::Webhooks,
        Self::Keys,
        Self::Workspaces,
    ];

    /// The resource's name in a scope string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connectors => "connectors",
            Self::Connections => "connections",
            Self::Syncs => "syncs",
            Self::Records => "records",
            Self::Mappings => "mappings",
            Self::Insights => "insights",
            Self::Webhooks => "webhooks",
            Self::Keys => "keys",
            Self::Workspaces => "workspaces",
        }
    }
}

/// One permission held by an API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `*`: everything in the key's own workspace (not `workspaces:*`).
    All,
    /// `resource:read`.
    Read(Resource),
    /// `resource:write`; implies `resource:read`.
    Write(Resource),
}

/// Whether the granted scopes allow the needed one.
pub fn grants(granted: &[Scope], needed: Scope) -> bool {
    granted.iter().any(|&scope| match (scope, needed) {
        (Scope::All, Scope::Read(want) | Scope::Write(want)) => want != Resource::Workspaces,
        (Scope::All, Scope::All) => true,
        (Scope::Write(have), Scope::Read(want) | Scope::Write(want)) => have == want,
        (Scope::Read(have), Scope::Read(want)) => have == want,
        _ => false,
    })
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Read(r) => write!(f, "{}:read", r.as_str()),
            Self::Write(r) => write!(f, "{}:write", r.as_str()),
        }
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if s == "*" {
            return Ok(Self::All);
        }
        let invalid = || format!("unknown scope `{s}`; expected `*` or `resource:read|write`");
        let (resource, access) = s.split_once(':').ok_or_else(invalid)?;
        let resource = Resource::ALL
            .into_iter()
            .find(|r| r.as_str() == resource)
            .ok_or_else(invalid)?;
        match access {
            "read" => Ok(Self::Read(resource)),
            "write" => Ok(Self::Write(resource)),
            _ => Err(invalid()),
        }
    }
}

/// Whether a key holding `granted` may hand out `wanted` to a new key (no escalation).
pub fn may_grant(granted: &[Scope], wanted: &[Scope]) -> bool {
    wanted.iter().all(|&scope| grants(granted, scope))
}

/// Parses scope strings given by a caller, naming the offending one.
pub fn parse_all(values: &[String]) -> Result<Vec<Scope>> {
    if values.is_empty() {
        return Err(Error::invalid_field(
            "scopes",
            "at least one scope is required",
        ));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.parse()
                .map_err(|e| Error::invalid_field(format!("scopes[{i}]"), e))
        })
        .collect()
}

/// Serialises scopes for the `api_keys.scopes` column.
pub fn to_stored(scopes: &[Scope]) -> String {
    let strings: Vec<String> = scopes.iter().map(ToString::to_string).collect();
    serde_json::Value::from(strings).to_string()
}

/// Reads the `api_keys.scopes` column.
pub fn parse_stored(stored: &str) -> Result<Vec<Scope>> {
    let strings: Vec<String> = serde_json::from_str(stored).map_err(Error::internal)?;
    strings
        .iter()
        .map(|s| {
            s.parse()
                .map_err(|e: String| Error::internal(anyhow::anyhow!(e)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(granted: &[&str], needed: &str, expected: bool) {
        let granted: Vec<Scope> = granted.iter().map(|s| s.parse().unwrap()).collect();
        let needed: Scope = needed.parse().unwrap();
        assert_eq!(grants(&granted, needed), expected, "{granted:?} ⊢ {needed}");
    }

    #[test]
    fn write_implies_read_and_star_implies_everything() {
        check(&["*"], "connections:write", true);
        check(&["*"], "workspaces:read", false);
        check(&["*", "workspaces:write"], "workspaces:read", true);
        check(&["*"], "*", true);
        check(&["syncs:write"], "*", false);
        check(&["syncs:write"], "syncs:read", true);
        check(&["syncs:write"], "syncs:write", true);
        check(&["syncs:read"], "syncs:write", false);
        check(&["syncs:read"], "records:read", false);
        check(&[], "syncs:read", false);
        check(&["records:read", "syncs:read"], "syncs:read", true);
    }

    #[test]
    fn scope_strings_round_trip_and_bad_ones_are_named() {
        for s in ["*", "keys:read", "webhooks:write"] {
            assert_eq!(s.parse::<Scope>().unwrap().to_string(), s);
        }
        for s in ["keys", "keys:admin", "nope:read", ""] {
            assert!(s.parse::<Scope>().is_err(), "{s}");
        }
        let error = parse_all(&["*".into(), "x:read".into()]).unwrap_err();
        assert!(matches!(error, Error::InvalidInput { field: Some(f), .. } if f == "scopes[1]"));
    }
}
