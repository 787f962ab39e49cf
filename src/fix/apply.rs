//! Carrying plans out: `scan --fix` and `reseal` plan every file, then show the plans as
//! diffs (dry run) or write them atomically. Nothing here prints to stderr: what was done,
//! what was left and why come back as an [`Outcome`] for the command to render.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use rayon::prelude::*;

use super::overlays::SharedFile;
use super::{
    plan_generators, plan_reseal, plan_secrets, plan_shared, FilePlan, FixContext, GeneratorPlan,
    OverlayPlan, Planned, Problem, RepoFiles,
};
use crate::config::Config;
use crate::crypto::PrivateKey;
use crate::detect::{
    GENERATOR_FILE, GENERATOR_LITERAL, SECRET_CONFIG, SECRET_DATA, SECRET_IDENTITY,
    SECRET_INVALID_BASE64, SECRET_STRING_DATA,
};
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::report::redact::printable;
use crate::scan::{deployments, ScanOutput, ScanRequest};
use crate::source::{walk_worktree, Visitor, WalkOptions};

/// Something `--fix` or `reseal` left as it was, in the order it happened.
#[derive(Debug)]
pub enum Unfixed {
    /// The file could not be planned: it stays byte-identical.
    Problem(Problem),
    /// The plan could not be written (`error` says why).
    NotWritten { path: String, error: String },
}

/// What was done, what was left and why, and the notes on files along the way.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The plans shown (dry run) or written.
    pub plans: Vec<FilePlan>,
    pub unfixed: Vec<Unfixed>,
    /// Notes from reading and writing (temp files swept and the like).
    pub notes: Vec<String>,
}

impl Outcome {
    /// Documents sealed (or values re-encrypted) over every plan.
    pub fn count(&self) -> usize {
        self.plans.iter().map(|p| p.count).sum()
    }

    /// Files left because they could not be planned.
    pub fn problems(&self) -> usize {
        let problems = self.unfixed.iter();
        problems
            .filter(|u| matches!(u, Unfixed::Problem(_)))
            .count()
    }

    /// Plans that could not be written.
    pub fn write_errors(&self) -> usize {
        let errors = self.unfixed.iter();
        errors
            .filter(|u| matches!(u, Unfixed::NotWritten { .. }))
            .count()
    }

    fn absorb(&mut self, other: Outcome) {
        self.plans.extend(other.plans);
        self.unfixed.extend(other.unfixed);
        self.notes.extend(other.notes);
    }

    fn problem(&mut self, problem: Problem) {
        self.unfixed.push(Unfixed::Problem(problem));
    }

    fn not_written(&mut self, path: &str, error: String) {
        let path = path.to_string();
        self.unfixed.push(Unfixed::NotWritten { path, error });
    }
}

/// What `scan --fix` did.
#[derive(Debug)]
pub struct ScanFix {
    pub outcome: Outcome,
    /// Whether a value it sealed is already committed (so the history still holds it).
    pub committed: bool,
}

/// `scan --fix [--dry-run]` after the scan gave `output`: seals the Secrets and converts the
/// secretGenerator entries with findings; diffs go to `stdout` in a dry run.
pub fn fix_scan(
    request: &ScanRequest,
    output: &ScanOutput,
    dry_run: bool,
    stdout: &mut dyn Write,
) -> Result<ScanFix> {
    let mut reported: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &output.findings {
        // A Secret of user names or configs alone is plaintext all the same: it is sealed too.
        let secret_rules = [
            SECRET_DATA,
            SECRET_STRING_DATA,
            SECRET_INVALID_BASE64,
            SECRET_IDENTITY,
            SECRET_CONFIG,
        ];
        if secret_rules.contains(&f.rule.as_str()) && in_secret_document(f) {
            reported.entry(&f.path).or_default().push(f);
        }
    }
    let root = &output.root;
    let files = RepoFiles::new(root, request.config.max_file_size, !dry_run);
    let (chains, deployments) = deployments(root, &request.paths, request.config, request.threads);
    let ctx = FixContext {
        config: request.config,
        chains: &chains,
        now: SystemTime::now(),
        deployments: Some(&deployments),
    };
    let (shared, mut problems) = shared_bases(&mut reported, &files, &ctx);
    let planned: Vec<Planned> = reported
        .par_iter()
        .map(|(path, found)| {
            let bytes = files
                .read(path)
                .map_err(|why| vec![problem_at(found[0], why)])?;
            let spans: Vec<Range<usize>> = found.iter().map(|f| f.span.clone()).collect();
            plan_secrets(path, &bytes, &spans, &ctx, &mut crate::crypto::os_rng())
        })
        .collect();
    let committed = !dry_run && committed_values(root, &output.findings, &files);
    let mut outcome = carry_out(&files, planned, dry_run, stdout)?;
    match crate::fix::combine(shared, &files) {
        Ok(plan) => outcome.absorb(carry_out_overlays(&files, plan, dry_run, stdout)?),
        Err(found) => problems.extend(found),
    }
    problems.into_iter().for_each(|p| outcome.problem(p));
    outcome.absorb(generators(output, &files, &ctx, dry_run, stdout)?);
    outcome.notes = files.take_notes();
    Ok(ScanFix { outcome, committed })
}

/// Takes the files out of `reported` whose Secrets several builds deploy differently, and
/// plans sealing those per overlay (the rest are sealed in place).
fn shared_bases(
    reported: &mut BTreeMap<&str, Vec<&Finding>>,
    files: &RepoFiles,
    ctx: &FixContext,
) -> (Vec<SharedFile>, Vec<Problem>) {
    let (mut shared, mut problems) = (Vec::new(), Vec::new());
    reported.retain(|path, found| {
        if ctx.chains.get(*path).is_none_or(|c| c.len() < 2) {
            return true;
        }
        let Ok(bytes) = files.read(path) else {
            return true; // sealing in place says why it cannot be read
        };
        let spans: Vec<Range<usize>> = found.iter().map(|f| f.span.clone()).collect();
        let rng = &mut crate::crypto::os_rng();
        match plan_shared(path, &bytes, &spans, ctx, files, rng) {
            None => true,
            Some(Ok(file)) => {
                shared.push(file);
                false
            }
            Some(Err(found)) => {
                problems.extend(found);
                false
            }
        }
    });
    (shared, problems)
}

/// Shows (dry run) or writes the per-overlay sealing as one: every new file, rewritten
/// kustomization and base file, or none of them.
fn carry_out_overlays(
    files: &RepoFiles,
    plan: OverlayPlan,
    dry_run: bool,
    stdout: &mut dyn Write,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    if plan.created.is_empty() {
        return Ok(outcome);
    }
    if dry_run {
        let changed: Vec<&FilePlan> = plan.changed.iter().collect();
        let deleted: Vec<&str> = plan.deleted.iter().map(|(p, _)| p.as_str()).collect();
        show_changes(&changed, &plan.created, &deleted, stdout)?;
    } else if let Err((path, e)) = write_overlay_plan(files, &plan) {
        outcome.not_written(&path, e);
        return Ok(outcome);
    }
    // Each new file counts as one Secret sealed.
    for (path, contents) in plan.created {
        outcome.plans.push(FilePlan {
            path,
            original: Vec::new(),
            fixed: contents,
            edits: Vec::new(),
            redact: Vec::new(),
            count: 1,
        });
    }
    outcome.plans.extend(plan.changed);
    Ok(outcome)
}

/// New files first, then rewrites, then deletions; a failure undoes what was done before it.
fn write_overlay_plan(
    files: &RepoFiles,
    plan: &OverlayPlan,
) -> std::result::Result<(), (String, String)> {
    let mut created: Vec<&str> = Vec::new();
    let mut restore: Vec<(&str, &[u8])> = Vec::new();
    let undo = |created: &[&str], restore: &[(&str, &[u8])]| {
        restore.iter().rev().for_each(|(p, b)| files.restore(p, b));
        created.iter().for_each(|p| files.undo_create(p));
    };
    for (path, contents) in &plan.created {
        if let Err(e) = files.create(path, contents) {
            undo(&created, &restore);
            return Err((path.clone(), e));
        }
        created.push(path);
    }
    let changes = plan
        .changed
        .iter()
        .map(|p| (&p.path, &p.original, Some(&p.fixed)));
    let deletions = plan.deleted.iter().map(|(p, b)| (p, b, None));
    for (path, original, fixed) in changes.chain(deletions) {
        let done = match fixed {
            Some(fixed) => files.replace(path, fixed),
            None => files.remove(path),
        };
        if let Err(e) = done {
            undo(&created, &restore);
            return Err((path.clone(), e));
        }
        restore.push((path, original));
    }
    Ok(())
}

/// Whether a finding can be about a Secret document's value. Identities and configs are also
/// reported in generator literals and env files: those are the generators' to convert, and
/// not Secrets written inside other text.
fn in_secret_document(f: &Finding) -> bool {
    let name = crate::paths::file_name(&f.path);
    let elsewhere = [SECRET_IDENTITY, SECRET_CONFIG].contains(&f.rule.as_str())
        && (!crate::k8s::is_manifest_file(name) || crate::k8s::is_kustomization_file(name));
    !elsewhere
}

/// Whether a value `--fix` seals is already committed (HEAD's version of its file holds it):
/// only then is the history reminder true. Read before any file is rewritten.
fn committed_values(root: &Path, findings: &[Finding], files: &RepoFiles) -> bool {
    let fixed = [
        SECRET_DATA,
        SECRET_STRING_DATA,
        SECRET_INVALID_BASE64,
        SECRET_IDENTITY,
        SECRET_CONFIG,
        GENERATOR_LITERAL,
        GENERATOR_FILE,
    ];
    let Ok(repo) = crate::source::git::GitRepo::discover(root) else {
        return false;
    };
    let repo = repo.local();
    let Ok(head) = repo.head_id() else {
        return false;
    };
    let mut spans: BTreeMap<&str, Vec<&Range<usize>>> = BTreeMap::new();
    for f in findings.iter().filter(|f| fixed.contains(&f.rule.as_str())) {
        spans.entry(&f.path).or_default().push(&f.span);
    }
    spans.into_iter().any(|(path, spans)| {
        let now = files.path(path).ok().and_then(|p| std::fs::read(p).ok());
        let at_head = crate::source::git::read_file_at(&repo, head.detach(), path, u64::MAX);
        let (Some(now), Ok(old)) = (now, at_head) else {
            return false;
        };
        spans.into_iter().any(|span| {
            now.get(span.clone()).is_some_and(|value| {
                !value.is_empty() && memchr::memmem::find(&old, value).is_some()
            })
        })
    })
}

/// Converts the secretGenerator entries with findings; returns what was done as an outcome.
fn generators(
    output: &ScanOutput,
    files: &RepoFiles,
    ctx: &FixContext,
    dry_run: bool,
    stdout: &mut dyn Write,
) -> Result<Outcome> {
    let (literals, inputs, mut outcome) = generator_findings(output, files);
    let mut kustomizations: BTreeSet<String> = literals.keys().cloned().collect();
    for input in &inputs {
        kustomizations.extend(kustomizations_above(files, input));
    }
    let read = |rel: &str| files.read(rel);
    for path in kustomizations {
        let spans = literals.get(&path).map(Vec::as_slice).unwrap_or_default();
        let rng = &mut crate::crypto::os_rng();
        let planned = files
            .read(&path)
            .map_err(|why| vec![Problem::in_file(&path, why)])
            .and_then(|bytes| plan_generators(&path, &bytes, spans, &inputs, &read, ctx, rng));
        match planned {
            Ok(Some(plan)) if dry_run => {
                show_generator_plan(&plan, stdout)?;
                outcome.plans.push(plan.kustomization);
            }
            Ok(Some(plan)) => match write_generator_plan(files, &plan) {
                Ok(()) => outcome.plans.push(plan.kustomization),
                Err(e) => outcome.not_written(&path, e),
            },
            Ok(None) => {}
            Err(problems) => problems.into_iter().for_each(|p| outcome.problem(p)),
        }
    }
    Ok(outcome)
}

/// Literal value spans by kustomization, the generator inputs with findings, and a problem
/// for each input fix must not touch (its kustomization cannot be found from it either).
fn generator_findings(
    output: &ScanOutput,
    files: &RepoFiles,
) -> (
    BTreeMap<String, Vec<Range<usize>>>,
    HashSet<String>,
    Outcome,
) {
    let mut literals: BTreeMap<String, Vec<Range<usize>>> = BTreeMap::new();
    let mut inputs = HashSet::new();
    let mut outcome = Outcome::default();
    for f in &output.findings {
        if f.rule == GENERATOR_LITERAL {
            literals
                .entry(f.path.to_string())
                .or_default()
                .push(f.span.clone());
        } else if f.rule == GENERATOR_FILE && inputs.insert(f.path.to_string()) {
            if let Err(why) = files.path(&f.path) {
                outcome.problem(problem_at(f, why));
            }
        }
    }
    (literals, inputs, outcome)
}

/// Kustomization files in the directories from `file`'s up to the root (none for a file
/// outside the repository).
fn kustomizations_above(files: &RepoFiles, file: &str) -> Vec<String> {
    if files.path(file).is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut dir = Some(file.rsplit_once('/').map_or("", |(d, _)| d));
    while let Some(d) = dir {
        for name in ["kustomization.yaml", "kustomization.yml", "Kustomization"] {
            let candidate = if d.is_empty() {
                name.to_string()
            } else {
                format!("{d}/{name}")
            };
            if files.is_file(&candidate) {
                out.push(candidate);
            }
        }
        dir = (!d.is_empty()).then(|| d.rsplit_once('/').map_or("", |(p, _)| p));
    }
    out
}

/// The dry run of a conversion: the kustomization's diff, the new files, the deleted ones.
fn show_generator_plan(plan: &GeneratorPlan, stdout: &mut dyn Write) -> Result<()> {
    let deleted: Vec<&str> = plan.deleted.iter().map(String::as_str).collect();
    show_changes(&[&plan.kustomization], &plan.created, &deleted, stdout)
}

/// Diffs of rewritten files, new files in full (sealed: nothing to redact), deleted files
/// by name only.
fn show_changes(
    changed: &[&FilePlan],
    created: &[(String, Vec<u8>)],
    deleted: &[&str],
    stdout: &mut dyn Write,
) -> Result<()> {
    let mut text: String = changed.iter().map(|p| p.diff()).collect();
    for (path, contents) in created {
        let (path, body) = (
            printable(path),
            printable(&String::from_utf8_lossy(contents)),
        );
        text.push_str(&format!(
            "--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{} @@\n",
            body.lines().count()
        ));
        body.lines().for_each(|l| text.push_str(&format!("+{l}\n")));
    }
    for path in deleted.iter().map(|p| printable(p)) {
        text.push_str(&format!(
            "--- a/{path}\n+++ /dev/null\n(deleted; its values are redacted)\n"
        ));
    }
    write_out(stdout, &text)
}

/// New manifests first, then the kustomization, then the inputs go: a failure before the
/// kustomization is rewritten removes what was created, so the build never half-changes.
fn write_generator_plan(
    files: &RepoFiles,
    plan: &GeneratorPlan,
) -> std::result::Result<(), String> {
    let mut created: Vec<&str> = Vec::new();
    let undo = |created: &[&str]| created.iter().for_each(|p| files.undo_create(p));
    for (path, contents) in &plan.created {
        if let Err(e) = files.create(path, contents) {
            undo(&created);
            return Err(e);
        }
        created.push(path);
    }
    if let Err(e) = files.replace(&plan.kustomization.path, &plan.kustomization.fixed) {
        undo(&created);
        return Err(e);
    }
    for path in &plan.deleted {
        files.remove(path)?;
    }
    Ok(())
}

/// Where `reseal` works and with what.
pub struct ResealRequest<'a> {
    pub paths: &'a [PathBuf],
    pub root: &'a Path,
    pub config: &'a Config,
    pub keys: &'a [PrivateKey],
    pub threads: usize,
    pub dry_run: bool,
}

/// `reseal`: re-encrypts every SealedSecret under the paths for the cert pinned for it;
/// diffs go to `stdout` in a dry run.
pub fn reseal(request: &ResealRequest, stdout: &mut dyn Write) -> Result<Outcome> {
    let (root, config) = (request.root, request.config);
    let (chains, deployments) = deployments(root, request.paths, config, request.threads);
    let ctx = FixContext {
        config,
        chains: &chains,
        now: SystemTime::now(),
        deployments: Some(&deployments),
    };
    let files = RepoFiles::new(root, config.max_file_size, !request.dry_run);
    let collector = Planner {
        plan: |path: &str, _: &[u8]| {
            // Read again, through the repository's bounds, to know it is unchanged later.
            let bytes = files
                .read(path)
                .map_err(|why| vec![Problem::in_file(path, why)])?;
            plan_reseal(
                path,
                &bytes,
                &ctx,
                request.keys,
                &mut crate::crypto::os_rng(),
            )
        },
        planned: Mutex::new(Vec::new()),
    };
    let options = WalkOptions {
        root,
        config,
        max_file_size: config.max_file_size,
        force_exclude: false,
        excludes: true,
        threads: request.threads,
    };
    walk_worktree(request.paths, &options, &collector);
    let planned = collector
        .planned
        .into_inner()
        .expect("no panics under the lock");
    let mut outcome = carry_out(&files, planned, request.dry_run, stdout)?;
    outcome.notes = files.take_notes();
    Ok(outcome)
}

/// Plans every manifest file the walk visits.
struct Planner<F> {
    plan: F,
    planned: Mutex<Vec<Planned>>,
}

impl<F: Fn(&str, &[u8]) -> Planned + Sync> Visitor for Planner<F> {
    fn file(&self, path: &str, bytes: &[u8]) {
        if memchr::memmem::find(bytes, b"SealedSecret").is_none() {
            return;
        }
        let planned = (self.plan)(path, bytes);
        if !matches!(planned, Ok(None)) {
            self.planned
                .lock()
                .expect("no panics under the lock")
                .push(planned);
        }
    }

    fn note(&self, _: &str, _: String) {}
}

/// Shows (dry run) or writes every plan; the problems come first, sorted by place.
fn carry_out(
    files: &RepoFiles,
    planned: Vec<Planned>,
    dry_run: bool,
    stdout: &mut dyn Write,
) -> Result<Outcome> {
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for p in planned {
        match p {
            Ok(Some(plan)) => plans.push(plan),
            Ok(None) => {}
            Err(found) => problems.extend(found),
        }
    }
    plans.sort_by(|a, b| a.path.cmp(&b.path));
    problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    let mut outcome = Outcome::default();
    problems.into_iter().for_each(|p| outcome.problem(p));
    for plan in plans {
        if dry_run {
            write_out(stdout, &plan.diff())?;
            outcome.plans.push(plan);
            continue;
        }
        match files.replace(&plan.path, &plan.fixed) {
            Ok(()) => outcome.plans.push(plan),
            Err(e) => outcome.not_written(&plan.path, e),
        }
    }
    Ok(outcome)
}

fn write_out(stdout: &mut dyn Write, text: &str) -> Result<()> {
    stdout
        .write_all(text.as_bytes())
        .map_err(|source| Error::Write {
            path: "<stdout>".into(),
            source,
        })
}

/// The problem of a file a finding is in, at the finding.
fn problem_at(finding: &Finding, message: String) -> Problem {
    Problem {
        path: finding.path.to_string(),
        line: finding.line,
        column: finding.column,
        message,
    }
}
