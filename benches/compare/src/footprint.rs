//! Footprint: the smallest program on each runtime (sleep 1 ms, print
//! hello), built from clean as its own project: its stripped release
//! binary's size, the crates in its dependency tree, and how long a clean
//! release build takes.
//!
//! The projects are written under `target/compare/footprint/`, each its
//! own workspace with its own target directory. Dependencies are fetched
//! before the clock starts, so that the build time does not include the
//! network.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What one hello-world program costs.
pub(crate) struct Footprint {
    pub(crate) runtime: &'static str,
    pub(crate) binary_bytes: u64,
    /// Crates in the tree, the program itself not counted.
    pub(crate) crates: BTreeSet<String>,
    pub(crate) build_seconds: f64,
}

/// The programs (`benches/compare/footprint/`; `scripts/size_guard.sh` builds
/// tether's too). tokio and tether are set up with only the features they need
/// (tokio's `#[tokio::main]` would add the macro crates; tether's `futures`
/// feature adds the futures traits); smol's row uses the `smol` crate, which is
/// what its users depend on.
fn programs(tether_root: &Path) -> [(&'static str, String, &'static str); 3] {
    [
        (
            "tether",
            format!(
                "tether = {{ path = {:?}, default-features = false }}",
                tether_root.display().to_string()
            ),
            include_str!("../footprint/tether.rs"),
        ),
        (
            "tokio",
            r#"tokio = { version = "1.38", default-features = false, features = ["rt", "time"] }"#
                .to_owned(),
            include_str!("../footprint/tokio.rs"),
        ),
        (
            "smol",
            r#"smol = "2""#.to_owned(),
            include_str!("../footprint/smol.rs"),
        ),
    ]
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("cargo")
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {} failed in {}:\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The crates in the normal-dependency tree of `package` (or of the
/// project, if `None`), the root not counted.
pub(crate) fn tree(dir: &Path, package: Option<&str>) -> BTreeSet<String> {
    let mut args = vec!["tree", "-e", "normal", "--prefix", "none", "--quiet"];
    if let Some(package) = package {
        args.extend(["-p", package]);
    }
    let out = run(dir, &args);
    let mut lines = out.lines();
    lines.next(); // the root
    lines
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Builds each program from clean and measures it.
pub(crate) fn measure(tether_root: &Path, work: &Path) -> Vec<Footprint> {
    programs(tether_root)
        .into_iter()
        .map(|(runtime, dependency, main)| {
            let dir: PathBuf = work.join(runtime);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("src")).unwrap();
            std::fs::write(
                dir.join("Cargo.toml"),
                format!(
                    "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                     [dependencies]\n{dependency}\n\n\
                     [profile.release]\nstrip = true\n\n\
                     # Not part of the workspace around it.\n[workspace]\n"
                ),
            )
            .unwrap();
            std::fs::write(dir.join("src/main.rs"), main).unwrap();
            run(&dir, &["fetch", "--quiet"]);
            let start = Instant::now();
            run(&dir, &["build", "--release", "--quiet"]);
            let build_seconds = start.elapsed().as_secs_f64();
            let binary = dir.join("target/release/hello");
            let hello = Command::new(&binary).output().expect("hello runs");
            assert_eq!(String::from_utf8_lossy(&hello.stdout), "hello\n");
            Footprint {
                runtime,
                binary_bytes: std::fs::metadata(&binary).unwrap().len(),
                crates: tree(&dir, None),
                build_seconds,
            }
        })
        .collect()
}
