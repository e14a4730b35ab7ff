//! Account fields that validate on construction, collecting field-level errors.

use crate::error::FieldError;

/// A syntactically valid, lower-cased e-mail address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Email, FieldError> {
        let s = raw.trim().to_lowercase();
        let invalid = || FieldError::new(field, "must be a valid e-mail address");
        if s.len() > 320 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.len() <= 255;
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A required single-line text such as a name: trimmed, 1..=max characters, no control characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    optional_text(field, Some(s), max).map(|v| v.unwrap_or_default())
}

/// An optional single-line text; empty means absent.
pub fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(s.to_string()))
}

/// A username: 3-64 letters, digits, `.`, `_` or `-`.
pub fn username(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let ok = (3..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !ok {
        return Err(FieldError::new(
            field,
            "must be 3-64 letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(Some(s.to_lowercase()))
}

/// Gender as the reference system knew it.
pub fn gender(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match s {
        "male" | "female" | "other" => Ok(Some(s.to_string())),
        _ => Err(FieldError::new(field, "must be one of male, female, other")),
    }
}

/// A phone number: digits with optional +, spaces, dashes, dots and parentheses.
pub fn phone(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    if raw.is_some_and(|r| r.chars().count() > 32) {
        return Err(FieldError::new(
            field,
            "must be a phone number of at most 32 characters",
        ));
    }
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let ok = s.len() <= 32
        && (5..=20).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || "+ -.()".contains(c));
    if !ok {
        return Err(FieldError::new(field, "must be a phone number"));
    }
    Ok(Some(s.to_string()))
}

/// Collects field errors from several parse steps and fails with all of them at once.
#[derive(Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.errors.push(err);
                None
            }
        }
    }

    /// Records an error found without a parse step.
    pub fn add(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Whether a field (or a part of it, like `items[0].quantity`) already has an error, so a
    /// problem is reported once.
    pub fn has_error_for(&self, field: &str) -> bool {
        self.errors.iter().any(|e| {
            e.field == field
                || e.field
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
        })
    }

    pub fn finish(self) -> Result<(), crate::error::AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(crate::error::AppError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("email", " Jane@Example.COM ")
                .unwrap()
                .as_str(),
            "jane@example.com"
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@example",
            "ja ne@example.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert!(required_text("firstName", "  ", 10).is_err());
        assert_eq!(required_text("firstName", " Zoë ", 10).unwrap(), "Zoë");
        assert!(required_text("firstName", "a\u{0}b", 10).is_err());
        assert!(optional_text("x", Some(&"y".repeat(11)), 10).is_err());
        assert_eq!(optional_text("x", Some(""), 10).unwrap(), None);
        assert!(username("username", Some("a b")).is_err());
        assert_eq!(
            gender("gender", Some("female")).unwrap().as_deref(),
            Some("female")
        );
        assert!(phone("phone", Some("+1 (555) 010-9999")).unwrap().is_some());
        assert!(phone("phone", Some("call me")).is_err());
        assert!(gender("gender", Some("FEMALE")).is_err());
    }
}
