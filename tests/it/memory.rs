//! Peak memory: what a scan holds does not grow with the size of its report.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Peak RSS in KiB of `sealant ARGS` run in `dir` (GNU time's `%M`) and the length of its
/// stdout; `None` without `/usr/bin/time`.
fn peak_rss(dir: &Path, args: &[&str]) -> Option<(u64, u64)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("skipped: no /usr/bin/time to measure peak RSS");
        return None;
    }
    let (out, rss) = (dir.join("report.out"), dir.join("rss.out"));
    let status = Command::new(time)
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(env!("CARGO_BIN_EXE_sealant"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .status()
        .expect("run sealant under /usr/bin/time");
    assert!(matches!(status.code(), Some(0 | 1)), "{status}");
    let text = fs::read_to_string(&rss).unwrap();
    let kib = text.lines().last().unwrap().trim().parse().unwrap();
    Some((kib, fs::metadata(&out).unwrap().len()))
}

/// Asserts that a 60k-finding report in `format` adds less than a quarter of its size to the
/// peak RSS of the scan: held whole, it would add at least its own size.
fn assert_report_not_held_whole(format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let scanned = dir.path().join("repo");
    fs::create_dir(&scanned).unwrap();
    let mut secret = String::from("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\ndata:\n");
    for i in 0..60_000u32 {
        secret.push_str(&format!(
            "  k{i}: {:024x}\n",
            u128::from(i) * 0x9e37_79b9_7f4a_7c15
        ));
    }
    fs::write(scanned.join("big.yaml"), secret).unwrap();
    // The same scan with every finding allowed: the same work, a report of a few hundred bytes.
    fs::write(
        dir.path().join("allow.yaml"),
        "allow:\n  - path: \"**\"\n    reason: a small report\n",
    )
    .unwrap();
    let Some((full, report)) = peak_rss(dir.path(), &["scan", "--format", format, "repo"]) else {
        return;
    };
    let args = ["scan", "--config", "allow.yaml", "--format", format, "repo"];
    let (small, _) = peak_rss(dir.path(), &args).unwrap();
    assert!(report > 15_000_000, "the report is {report} bytes");
    let added = full.saturating_sub(small) * 1024;
    assert!(
        added < report / 4,
        "the {report}-byte report added {added} bytes to the peak RSS ({full} KiB, {small} KiB without it)"
    );
}

#[test]
fn a_large_json_report_is_written_as_it_is_rendered_not_held_whole() {
    assert_report_not_held_whole("json");
}

#[test]
fn a_large_sarif_report_is_written_as_it_is_rendered_not_held_whole() {
    assert_report_not_held_whole("sarif");
}

#[test]
fn a_large_human_report_is_written_as_it_is_rendered_not_held_whole() {
    assert_report_not_held_whole("human");
}

/// A 60k-key `kind` manifest in `dir/name/big.yaml` (the same bytes for a Secret and a
/// ConfigMap, but for the kind).
fn many_keys(dir: &Path, name: &str, kind: &str) {
    let mut text = format!("apiVersion: v1\nkind: {kind}\nmetadata:\n  name: big\ndata:\n");
    for i in 0..60_000u32 {
        text.push_str(&format!(
            "  k{i}: {:024x}\n",
            u128::from(i) * 0x9e37_79b9_7f4a_7c15
        ));
    }
    fs::create_dir(dir.join(name)).unwrap();
    fs::write(dir.join(name).join("big.yaml"), text).unwrap();
}

/// The findings of one file share its path and their rule id: 60k findings (a Secret's keys)
/// add about 500 bytes each to the peak RSS over the same file as a ConfigMap (no findings),
/// where a path and a rule id of their own made it over 600.
#[test]
fn findings_of_one_file_share_their_path_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    many_keys(dir.path(), "secret", "Secret");
    many_keys(dir.path(), "config", "ConfigMap");
    let Some((with, _)) = peak_rss(dir.path(), &["scan", "--format", "json", "secret"]) else {
        return;
    };
    let (without, _) = peak_rss(dir.path(), &["scan", "--format", "json", "config"]).unwrap();
    let per_finding = with.saturating_sub(without) * 1024 / 60_000;
    assert!(
        per_finding < 560,
        "{per_finding} bytes per finding ({with} KiB, {without} KiB without findings)"
    );
}
