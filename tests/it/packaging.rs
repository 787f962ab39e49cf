//! Packaging: what a source build compiles, and the container image (the Dockerfile built by
//! the engine found here, podman else docker, then `sealant --version` and a scan of a mounted
//! tree run in it; skipped, saying why, when no engine runs here or a base image cannot be
//! pulled).

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{copy_dir, path_str, stderr, stdout, testdata};

const TAG: &str = "localhost/sealant-image-test:latest";

/// A container engine that answers `info`; `None` (said on stderr) when none does.
fn engine() -> Option<&'static str> {
    let found = ["podman", "docker"].into_iter().find(|name| {
        Command::new(name)
            .arg("info")
            .output()
            .is_ok_and(|out| out.status.success())
    });
    if found.is_none() {
        eprintln!(
            "note: skipping the image test, no container engine (podman or docker) runs here"
        );
    }
    found
}

/// The images the Dockerfile's stages start from, with its `ARG` defaults filled in.
fn base_images(dockerfile: &str) -> Vec<String> {
    let mut args: Vec<(String, String)> = Vec::new();
    let mut images = Vec::new();
    for line in dockerfile.lines() {
        if let Some(arg) = line.strip_prefix("ARG ") {
            if let Some((name, value)) = arg.split_once('=') {
                args.push((name.trim().to_string(), value.trim().to_string()));
            }
        } else if let Some(from) = line.strip_prefix("FROM ") {
            let mut image = from.split_whitespace().next().unwrap_or("").to_string();
            for (name, value) in &args {
                image = image.replace(&format!("${{{name}}}"), value);
            }
            images.push(image);
        }
    }
    images
}

/// Pulls every base image; the first failure's last line, if one fails.
fn pull_failure(engine: &str, images: &[String]) -> Option<String> {
    images.iter().find_map(|image| {
        let out = Command::new(engine)
            .args(["pull", "-q", image])
            .output()
            .ok()?;
        (!out.status.success()).then(|| {
            let err = stderr(&out);
            format!("{image}: {}", err.lines().last().unwrap_or("").trim())
        })
    })
}

fn run(engine: &str, args: &[&str]) -> Output {
    Command::new(engine).args(args).output().unwrap()
}

/// A cold `cargo install` must not build a C library (AWS-LC was its costliest crate and needs
/// a C toolchain): nothing in the default build depends on `cc`.
#[test]
fn default_build_compiles_no_c() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal,build",
            "-i",
            "cc",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    // Cargo refuses `-i` of a package outside the resolved graph; any other failure is not an
    // answer.
    let absent = stderr(&out).contains("did not match any packages");
    assert!(
        absent || (out.status.success() && stdout(&out).trim().is_empty()),
        "the default build needs cc:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// podman, unlike docker, resolves no short names by default.
#[test]
fn dockerfile_base_images_name_their_registry() {
    let dockerfile =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap();
    for image in base_images(&dockerfile) {
        let host = image.split_once('/').map(|(host, _)| host);
        assert!(host.is_some_and(|h| h.contains('.')), "{image}");
    }
}

/// The Dockerfile passes hadolint with no finding at any level: the one check of the image that
/// runs where no base image can be pulled (then the build test below skips).
#[test]
fn dockerfile_passes_hadolint() {
    let Some(hadolint) = crate::git::tool("hadolint") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(hadolint)
        .args(["--no-color", "--failure-threshold", "style"])
        .arg(root.join("Dockerfile"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hadolint:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn base_images_come_from_the_from_lines_with_arg_defaults() {
    let images = base_images(
        "ARG V=1.2\nFROM rust:${V}-alpine AS builder\nRUN x\nFROM gcr.io/d/static:nonroot\n",
    );
    assert_eq!(images, ["rust:1.2-alpine", "gcr.io/d/static:nonroot"]);
}

#[test]
fn image_builds_and_scans_a_mounted_tree_as_non_root() {
    let Some(engine) = engine() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    if let Some(why) = pull_failure(engine, &base_images(&dockerfile)) {
        eprintln!("note: skipping the image test, a base image cannot be pulled: {why}");
        return;
    }
    let built = run(engine, &["build", "-q", "-t", TAG, path_str(root)]);
    assert!(built.status.success(), "build failed:\n{}", stderr(&built));

    let version = run(engine, &["run", "--rm", TAG, "--version"]);
    assert!(version.status.success(), "{}", stderr(&version));
    assert!(
        stdout(&version).starts_with(&format!("sealant {} ", env!("CARGO_PKG_VERSION"))),
        "{}",
        stdout(&version)
    );
    let user = run(engine, &["image", "inspect", "-f", "{{.Config.User}}", TAG]);
    assert_eq!(stdout(&user).trim(), "65532:65532");

    // The default command scans the working directory /src, where the tree is mounted.
    let tree = tempfile::tempdir().unwrap();
    copy_dir(&testdata("demo"), tree.path());
    let mount = format!("{}:/src:ro", path_str(tree.path()));
    let scan = run(engine, &["run", "--rm", "-v", &mount, TAG]);
    assert_eq!(scan.status.code(), Some(1), "{}", stderr(&scan));
    assert!(
        stdout(&scan).contains("error[k8s-secret-data]"),
        "{}",
        stdout(&scan)
    );
    run(engine, &["rmi", TAG]);
}
