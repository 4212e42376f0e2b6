//! A tiny command-line parser for `lab` and `bench`: positionals, `--key VALUE` (or
//! `--key=VALUE`) options and `--switch` flags, each checked against a known list.

/// Parsed arguments of one subcommand.
#[derive(Debug, Default)]
pub struct Args {
    positionals: Vec<String>,
    values: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Args {
    /// Splits `raw`; `valued` are the options that take a value, `switches` those that do not.
    pub fn parse(raw: &[String], valued: &[&str], switches: &[&str]) -> Result<Args, String> {
        let mut args = Args::default();
        let mut words = raw.iter();
        while let Some(word) = words.next() {
            if !word.starts_with("--") {
                args.positionals.push(word.clone());
                continue;
            }
            let (name, inline) = match word.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (word.as_str(), None),
            };
            if switches.contains(&name) && inline.is_none() {
                args.switches.push(name.to_owned());
            } else if valued.contains(&name) {
                let value = match inline {
                    Some(value) => value,
                    None => words.next().cloned().ok_or_else(|| format!("{name} needs a value"))?,
                };
                args.values.push((name.to_owned(), value));
            } else {
                return Err(format!("unknown option {word}"));
            }
        }
        Ok(args)
    }

    /// The positional argument `index`, or an error naming it `what`.
    pub fn positional(&self, index: usize, what: &str) -> Result<&str, String> {
        self.positionals.get(index).map(String::as_str).ok_or_else(|| format!("missing {what}"))
    }

    /// Fails when more than `count` positionals were given.
    pub fn at_most(&self, count: usize) -> Result<(), String> {
        match self.positionals.get(count) {
            Some(extra) => Err(format!("unexpected argument {extra:?}")),
            None => Ok(()),
        }
    }

    /// The last value given for `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The value of `name`, which must be given.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.value(name).ok_or_else(|| format!("{name} is required"))
    }

    /// The value of `name` parsed as a number, or `default`.
    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.value(name) {
            Some(text) => text.parse().map_err(|_| format!("{name}: not a number: {text:?}")),
            None => Ok(default),
        }
    }

    /// Whether the switch `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.switches.iter().any(|switch| switch == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn positionals_values_and_switches() {
        let raw = strings(&["W", "--user", "u", "--pass=p:q", "--insecure"]);
        let args = Args::parse(&raw, &["--user", "--pass"], &["--insecure"]).unwrap();
        assert_eq!(args.positional(0, "WORKDIR").unwrap(), "W");
        assert_eq!(args.value("--user"), Some("u"));
        assert_eq!(args.value("--pass"), Some("p:q"));
        assert!(args.flag("--insecure"));
        assert!(args.at_most(1).is_ok());
        assert!(Args::parse(&strings(&["--nope"]), &[], &[]).is_err());
        assert!(Args::parse(&strings(&["--user"]), &["--user"], &[]).is_err());
    }
}
