//! The built-in catalogue: definitions compiled into the binary, parsed and validated once.
//! A test loads every entry; an entry that fails to load at run time is left out and logged.

use std::sync::{Arc, LazyLock};

use super::{definition::Definition, validate};

/// `(file name, contents)` of every built-in definition.
const SOURCES: &[(&str, &str)] = &[
    ("adobe_sign.json", include_str!("catalog/adobe_sign.json")),
    ("docusign.json", include_str!("catalog/docusign.json")),
    ("github.json", include_str!("catalog/github.json")),
    ("gmail.json", include_str!("catalog/gmail.json")),
    ("hubspot.json", include_str!("catalog/hubspot.json")),
    ("linkedin.json", include_str!("catalog/linkedin.json")),
    (
        "microsoft_teams.json",
        include_str!("catalog/microsoft_teams.json"),
    ),
    ("outlook.json", include_str!("catalog/outlook.json")),
    ("paypal.json", include_str!("catalog/paypal.json")),
    ("quickbooks.json", include_str!("catalog/quickbooks.json")),
    ("salesforce.json", include_str!("catalog/salesforce.json")),
    ("shopify.json", include_str!("catalog/shopify.json")),
    ("slack.json", include_str!("catalog/slack.json")),
    ("stripe.json", include_str!("catalog/stripe.json")),
    ("xero.json", include_str!("catalog/xero.json")),
];

static BUILT_INS: LazyLock<Vec<Arc<Definition>>> = LazyLock::new(|| {
    let mut definitions: Vec<Arc<Definition>> = SOURCES
        .iter()
        .filter_map(|(file, text)| match validate::load_json(text) {
            Ok(definition) => Some(Arc::new(definition)),
            Err(errors) => {
                tracing::error!(file, ?errors, "a built-in connector definition is invalid");
                None
            }
        })
        .collect();
    definitions.sort_by(|a, b| a.name.cmp(&b.name));
    definitions
});

/// Every built-in definition, by name.
pub fn built_ins() -> &'static [Arc<Definition>] {
    &BUILT_INS
}

/// The built-in definition with this name.
pub fn built_in(name: &str) -> Option<Arc<Definition>> {
    BUILT_INS.iter().find(|d| d.name == name).cloned()
}

/// The raw sources, for tests.
pub fn sources() -> &'static [(&'static str, &'static str)] {
    SOURCES
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::connectors::definition::json_schema;

    #[test]
    fn every_catalogue_entry_loads_and_matches_the_json_schema() {
        let schema = json_schema();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for (file, text) in SOURCES {
            let definition =
                validate::load_json(text).unwrap_or_else(|errors| panic!("{file}: {errors:#?}"));
            assert_eq!(
                format!("{}.json", definition.name),
                *file,
                "file named after the connector"
            );
            let document: Value = serde_json::from_str(text).unwrap();
            let problems: Vec<String> = validator
                .iter_errors(&document)
                .map(|e| e.to_string())
                .collect();
            assert!(problems.is_empty(), "{file}: {problems:#?}");
        }
        assert_eq!(
            built_ins().len(),
            SOURCES.len(),
            "no entry is dropped at run time"
        );
    }
}
