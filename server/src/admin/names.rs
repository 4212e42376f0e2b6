//! The names of users, tokens and sensors: 1–64 characters of `[A-Za-z0-9._@-]`, so they
//! read the same in a URL, a log line and a shell.

/// Checks a user, token or sensor name; the error says what is allowed.
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty() && name.len() <= 64 && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._@-".contains(&byte));
    if valid { Ok(()) } else { Err(format!("invalid name {name:?}: use 1-64 letters, digits, '.', '_', '@' or '-'")) }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_are_short_and_shell_safe() {
        for good in ["ops", "web-01.example", "a_b@c", &"x".repeat(64)] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", "with space", "semi;colon", "slash/name", "ünï", &"x".repeat(65)] {
            assert!(check_name(bad).unwrap_err().contains("invalid name"), "{bad}");
        }
    }
}
