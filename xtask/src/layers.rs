//! `cargo xtask layers`: module dependencies point one way. Reads every `.rs` file of the
//! workspace's crates, collects the modules each one names through `crate::`, `super::` and
//! `self::` paths (comments and the trailing `#[cfg(test)] mod tests` left out), and fails
//! on any cycle between files. A module may use its ancestors (a `mod.rs` re-exporting its
//! children's items is the usual Rust layout); siblings and cousins must not use each other
//! both ways.

use crate::process::{TaskResult, root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crates' source roots, relative to the workspace.
const CRATES: [&str; 3] = ["server/src", "app/src", "parse/src"];

/// Module path (`["store", "writer"]`) → its source with comments and tests removed.
type Modules = BTreeMap<Vec<String>, String>;

/// Checks the crates of the workspace at `workspace` (default: this one).
pub fn run(workspace: Option<&Path>) -> TaskResult {
    let workspace = workspace.map_or_else(root, Path::to_owned);
    let mut problems = Vec::new();
    for krate in CRATES {
        let modules = read_modules(&workspace.join(krate))?;
        let graph = dependencies(&modules);
        for cycle in cycles(&graph) {
            let edges: Vec<String> = cycle
                .iter()
                .flat_map(|from| graph[from].iter().filter(|to| cycle.contains(to)).map(move |to| format!("{} -> {}", from.join("::"), to.join("::"))))
                .collect();
            problems.push(format!("{krate}: {}", edges.join(", ")));
        }
    }
    if problems.is_empty() {
        println!("module dependencies point one way in {}", CRATES.join(", "));
        Ok(())
    } else {
        Err(format!("module cycles:\n  {}", problems.join("\n  ")))
    }
}

fn read_modules(dir: &Path) -> Result<Modules, String> {
    let mut modules = Modules::new();
    for path in crate::lab::workdir::files_below(dir) {
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let relative = path.strip_prefix(dir).map_err(|error| error.to_string())?;
        let mut segments: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
        let file = segments.pop().unwrap_or_default();
        match file.as_str() {
            "lib.rs" | "main.rs" if segments.is_empty() => continue,
            "mod.rs" => {}
            other => segments.push(other.trim_end_matches(".rs").to_owned()),
        }
        let text = std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        modules.insert(segments, code_only(&text));
    }
    Ok(modules)
}

/// The text without `//` comments and without a trailing `#[cfg(test)] mod tests`.
fn code_only(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end].lines().map(strip_comment).collect::<Vec<_>>().join("\n")
}

/// A line up to a `//` that is not inside a string literal.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let (mut in_string, mut escaped) = (false, false);
    for (at, byte) in bytes.iter().enumerate() {
        match (in_string, *byte) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') => in_string = false,
            (false, b'"') => in_string = true,
            (false, b'/') if bytes.get(at + 1) == Some(&b'/') => return &line[..at],
            _ => {}
        }
    }
    line
}

/// Each module → the modules it names (not itself, not its ancestors).
fn dependencies(modules: &Modules) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut graph = BTreeMap::new();
    for (module, code) in modules {
        let mut targets = BTreeSet::new();
        for path in paths(code) {
            let Some(full) = absolute(module, &path) else { continue };
            let Some(target) = (1..=full.len()).rev().map(|length| full[..length].to_vec()).find(|prefix| modules.contains_key(prefix)) else { continue };
            if target != *module && !module.starts_with(&target) {
                targets.insert(target);
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// `crate::a::b`, `super::c` and `self::d` as absolute module paths from `module`.
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    let mut rest = rest;
    while rest.first().is_some_and(|segment| segment == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Every path that starts with `crate`, `super` or `self`, with `{a, b::c}` groups expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let tokens = tokenize(code);
    let mut found = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let starts = matches!(tokens[at].as_str(), "crate" | "super" | "self") && tokens.get(at + 1).is_some_and(|next| next == "::");
        let follows_path = at > 0 && tokens[at - 1] == "::";
        if starts && !follows_path {
            at = path_tree(&tokens, at, Vec::new(), &mut found);
        } else {
            at += 1;
        }
    }
    found
}

/// Reads `a::b::{c, d::e}` from `tokens[at]`, adding each full path to `found`; returns the
/// index after it.
fn path_tree(tokens: &[String], mut at: usize, mut prefix: Vec<String>, found: &mut Vec<Vec<String>>) -> usize {
    loop {
        match tokens.get(at).map(String::as_str) {
            Some("{") => {
                at += 1;
                while let Some(token) = tokens.get(at) {
                    match token.as_str() {
                        "}" => return at + 1,
                        "," => at += 1,
                        _ => at = path_tree(tokens, at, prefix.clone(), found),
                    }
                }
                return at;
            }
            Some(token) if is_ident(token) => {
                prefix.push(token.to_owned());
                if tokens.get(at + 1).is_some_and(|next| next == "::") {
                    at += 2;
                } else {
                    found.push(prefix);
                    return at + 1;
                }
            }
            _ => {
                if prefix.len() > 1 {
                    found.push(prefix);
                }
                return at.max(1);
            }
        }
    }
}

fn is_ident(token: &str) -> bool {
    token.chars().next().is_some_and(|first| first.is_alphabetic() || first == '_') && token.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::` and single punctuation; string literals are skipped.
fn tokenize(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c.is_alphanumeric() || c == '_' {
            let start = at;
            while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
                at += 1;
            }
            tokens.push(chars[start..at].iter().collect());
        } else if c == ':' && chars.get(at + 1) == Some(&':') {
            tokens.push("::".to_owned());
            at += 2;
        } else if c == '"' {
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                at += if chars[at] == '\\' { 2 } else { 1 };
            }
            at += 1;
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            at += 1;
        }
    }
    tokens
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        found: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(walk: &mut Walk<'a>, node: &'a Vec<String>) {
        let number = walk.index.len();
        walk.index.insert(node, number);
        walk.low.insert(node, number);
        walk.stack.push(node);
        let graph = walk.graph;
        for next in graph.get(node).into_iter().flatten() {
            if !walk.index.contains_key(next) {
                visit(walk, next);
                let low = walk.low[next].min(walk.low[node]);
                walk.low.insert(node, low);
            } else if walk.stack.contains(&next) {
                let low = walk.index[next].min(walk.low[node]);
                walk.low.insert(node, low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut component = Vec::new();
            while let Some(member) = walk.stack.pop() {
                component.push(member.clone());
                if member == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                walk.found.push(component);
            }
        }
    }
    let mut walk = Walk { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for node in graph.keys() {
        if !walk.index.contains_key(node) {
            visit(&mut walk, node);
        }
    }
    walk.found
}

#[cfg(test)]
mod tests {
    use super::{Modules, code_only, cycles, dependencies, paths};

    fn module(path: &str) -> Vec<String> {
        path.split("::").map(str::to_owned).collect()
    }

    #[test]
    fn paths_groups_and_comments() {
        let code = code_only(
            "use crate::store::{Store, writer::{Writer, Options}};\nuse super::x; // crate::commented::out\nlet url = \"http://crate::no\";\nfoo::self::bar;\n",
        );
        let found: Vec<String> = paths(&code).iter().map(|path| path.join("::")).collect();
        assert_eq!(found, ["crate::store::Store", "crate::store::writer::Writer", "crate::store::writer::Options", "super::x"]);
    }

    #[test]
    fn a_cycle_between_siblings_is_found_and_a_parent_is_not_one() {
        let mut modules = Modules::new();
        modules.insert(module("cli"), "use crate::import::run;".to_owned());
        modules.insert(module("import"), "use crate::cli::Target;".to_owned());
        modules.insert(module("store"), "pub use writer::Writer; use crate::store::writer::X;".to_owned());
        modules.insert(module("store::writer"), "use super::Store; use super::answers::Reply;".to_owned());
        modules.insert(module("store::answers"), "use super::Store;".to_owned());
        let graph = dependencies(&modules);
        assert!(graph[&module("store::writer")].contains(&module("store::answers")));
        assert!(!graph[&module("store::writer")].contains(&module("store")), "a child may use its parent");
        assert_eq!(cycles(&graph), vec![vec![module("cli"), module("import")]]);
    }
}
