//! The module structure holds: no cycle between the library's modules. A module is a top-level
//! `src/NAME.rs` or `src/NAME/`, and each command under `src/commands/`; an edge is any
//! `crate::NAME` (or, between commands, `super::NAME`) path outside `#[cfg(test)]` code.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn library_modules_have_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(graph.len() > 10, "found only {} modules", graph.len());
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "module cycles (each line: modules that import each other, directly or through the others):\n{}",
        cycles
            .iter()
            .map(|c| c.join(" <-> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph.entry(from.into()).or_default().insert(to.into());
    }
    assert_eq!(cycles(&graph), [["a", "b", "c"]]);
}

/// The library never prints: stdout and stderr are the CLI's (`src/main.rs`,
/// `src/commands/`), which hands writers in and renders what the library returns. `say!` writes
/// to stderr through `writeln!`, which clippy's `print_stderr` does not see, hence this check.
#[test]
fn only_the_cli_prints() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let printing = printing_lines(&src);
    assert!(
        printing.is_empty(),
        "printing outside src/main.rs and src/commands/ (return it, or take a writer):\n{}",
        printing.join("\n")
    );
}

/// `file:line: text` of each line outside the CLI that names a way to print.
fn printing_lines(src: &Path) -> Vec<String> {
    const PRINTS: [&str; 8] = [
        "say!(",
        "say_inline!(",
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "io::stdout()",
        "io::stderr()",
    ];
    let mut out = Vec::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap();
        if rel == Path::new("main.rs") || rel.starts_with("commands") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if PRINTS.iter().any(|p| line.contains(p)) {
                out.push(format!("src/{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    out
}

fn module_graph(src: &Path) -> Graph {
    let commands: BTreeSet<String> = rust_files(&src.join("commands"))
        .iter()
        .map(|p| stem(p))
        .collect();
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let from = module_of(src, &file);
        let text = fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let edges = graph.entry(from.clone()).or_default();
        for target in paths_after(code, "crate::") {
            let to = match target.as_slice() {
                [first, second, ..] if first == "commands" && commands.contains(second) => {
                    format!("commands/{second}")
                }
                [first, ..] => first.clone(),
                [] => continue,
            };
            edges.insert(to);
        }
        if from.starts_with("commands/") {
            for target in paths_after(code, "super::") {
                if let Some(first) = target.first().filter(|f| commands.contains(*f)) {
                    edges.insert(format!("commands/{first}"));
                }
            }
        }
        edges.remove(&from);
    }
    graph
}

/// The module a file belongs to: `src/x.rs` and `src/x/**` are `x`; `src/commands/y.rs` is
/// `commands/y`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel: Vec<String> = file
        .strip_prefix(src)
        .unwrap()
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    match rel.as_slice() {
        [dir, command, ..] if dir == "commands" && command != "mod" => {
            format!("commands/{command}")
        }
        [first, ..] => first.clone(),
        [] => unreachable!(),
    }
}

/// The `::`-separated identifiers after each occurrence of `prefix`, braces included as one
/// group: `crate::{a, b::c}` gives `[a]` and `[b, c]`.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(group.split(',').map(segments).filter(|s| !s.is_empty()));
        } else {
            out.push(segments(rest));
        }
    }
    out
}

fn segments(path: &str) -> Vec<String> {
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c.is_whitespace()))
        .unwrap_or(path.len());
    path[..end]
        .split("::")
        .map(|s| s.trim().to_string())
        .take_while(|s| !s.is_empty() && !s.contains(char::is_whitespace))
        .collect()
}

/// Strongly connected components with more than one module (Tarjan), each sorted.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let at = s.stack.iter().rposition(|x| *x == v).unwrap();
            let mut component: Vec<String> = s.stack.drain(at..).map(String::from).collect();
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}
