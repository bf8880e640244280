//! `{placeholder}` templates used in URLs, paths, query values, headers and JSON bodies (pure).
//!
//! A template is text with placeholders in braces: `https://{shop}.myshopify.com`. A placeholder
//! name is one or more dot-separated identifiers (`shop`, `record.id`, `record.address.city`);
//! `{{` and `}}` stand for literal braces (useful in GraphQL query bodies).

use serde_json::Value;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text copied as is (escaped braces already resolved).
    Literal(String),
    /// A `{name}` placeholder, without its braces.
    Placeholder(&'a str),
}

/// Why a template does not parse. Byte offsets count from the start of the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{` without its closing `}`.
    #[error("unclosed `{{` at byte {0}")]
    Unclosed(usize),
    /// A `}` that closes nothing.
    #[error("unmatched `}}` at byte {0} (write `}}}}` for a literal brace)")]
    Unmatched(usize),
    /// `{}` with nothing inside.
    #[error("empty placeholder `{{}}` at byte {0}")]
    Empty(usize),
    /// A placeholder whose name is not dot-separated identifiers.
    #[error(
        "invalid placeholder `{{{name}}}` at byte {at}: use letters, digits and `_`, separated by `.`"
    )]
    InvalidName {
        /// The text between the braces.
        name: String,
        /// Where the placeholder starts.
        at: usize,
    },
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The template itself is malformed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Nothing supplied a value for this placeholder.
    #[error("no value for placeholder `{{{0}}}`")]
    Unfilled(String),
}

/// Splits a template into literal text and placeholders.
pub fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '}' => return Err(TemplateError::Unmatched(at)),
            '{' => {
                let start = at + 1;
                let end = loop {
                    match chars.next() {
                        Some((i, '}')) => break i,
                        Some((_, '{')) | None => return Err(TemplateError::Unclosed(at)),
                        Some(_) => {}
                    }
                };
                let name = template.get(start..end).unwrap_or_default();
                if name.is_empty() {
                    return Err(TemplateError::Empty(at));
                }
                if !is_placeholder_name(name) {
                    return Err(TemplateError::InvalidName {
                        name: name.to_owned(),
                        at,
                    });
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Placeholder(name));
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// The placeholder names of a template, in order of appearance (repeats included).
pub fn placeholders(template: &str) -> Result<Vec<&str>, TemplateError> {
    Ok(parse(template)?
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(name) => Some(name),
            Piece::Literal(_) => None,
        })
        .collect())
}

/// Fills a template's placeholders with the values `resolve` gives.
pub fn render(
    template: &str,
    mut resolve: impl FnMut(&str) -> Option<String>,
) -> Result<String, RenderError> {
    let mut out = String::with_capacity(template.len());
    for piece in parse(template)? {
        match piece {
            Piece::Literal(text) => out.push_str(&text),
            Piece::Placeholder(name) => match resolve(name) {
                Some(value) => out.push_str(&value),
                None => return Err(RenderError::Unfilled(name.to_owned())),
            },
        }
    }
    Ok(out)
}

/// Fills a JSON body template: every string inside is a template. A string that is exactly one
/// placeholder (`"{record.amount}"`) is replaced by the value itself, keeping its JSON type;
/// elsewhere values are interpolated as text (strings raw, `null` as nothing, others as JSON).
pub fn render_json(
    template: &Value,
    resolve: &mut impl FnMut(&str) -> Option<Value>,
) -> Result<Value, RenderError> {
    Ok(match template {
        Value::String(text) => {
            let pieces = parse(text)?;
            if let [Piece::Placeholder(name)] = pieces.as_slice() {
                resolve(name).ok_or_else(|| RenderError::Unfilled((*name).to_owned()))?
            } else {
                Value::String(render(text, |name| resolve(name).map(|v| value_text(&v)))?)
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_json(item, resolve))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), render_json(item, resolve)?)))
                .collect::<Result<_, RenderError>>()?,
        ),
        other => other.clone(),
    })
}

/// The text a JSON value stands for when interpolated into a string.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whether `name` is dot-separated identifiers (`shop`, `record.address.city`).
pub fn is_placeholder_name(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_literals_placeholders_and_escapes() {
        assert_eq!(
            parse("https://{shop}.myshopify.com/{{x}}").unwrap(),
            vec![
                Piece::Literal("https://".into()),
                Piece::Placeholder("shop"),
                Piece::Literal(".myshopify.com/{x}".into()),
            ]
        );
        assert_eq!(
            placeholders("/a/{record.id}/{b}").unwrap(),
            vec!["record.id", "b"]
        );
    }

    #[test]
    fn reports_malformed_templates_with_their_position() {
        let table = [
            ("/a/{id", TemplateError::Unclosed(3)),
            ("/a/{i{d}", TemplateError::Unclosed(3)),
            ("/a}", TemplateError::Unmatched(2)),
            ("x{}", TemplateError::Empty(1)),
            (
                "{a b}",
                TemplateError::InvalidName {
                    name: "a b".into(),
                    at: 0,
                },
            ),
            (
                "{a..b}",
                TemplateError::InvalidName {
                    name: "a..b".into(),
                    at: 0,
                },
            ),
            (
                "é{1x}",
                TemplateError::InvalidName {
                    name: "1x".into(),
                    at: 2,
                },
            ),
        ];
        for (template, expected) in table {
            assert_eq!(parse(template), Err(expected), "{template}");
        }
    }

    #[test]
    fn renders_text_and_json_templates() {
        let text = render("/v1/customers/{id}", |name| {
            (name == "id").then(|| "cus_1".into())
        });
        assert_eq!(text.unwrap(), "/v1/customers/cus_1");
        assert_eq!(
            render("{missing}", |_| None),
            Err(RenderError::Unfilled("missing".into()))
        );

        let record = json!({"amount": 12, "email": "a@b.c"});
        let body = json!({"amount": "{amount}", "note": "for {email}", "n": [1, "{amount}"]});
        let filled = render_json(&body, &mut |name| record.get(name).cloned()).unwrap();
        assert_eq!(
            filled,
            json!({"amount": 12, "note": "for a@b.c", "n": [1, 12]})
        );
    }
}
