//! Footprint: three programs on each runtime, each built from clean as its
//! own project: its stripped release binary's size, the crates in its
//! dependency tree, and how long a clean release build takes.
//!
//! - `hello`: sleep 1 ms, print hello; the smallest program a runtime runs.
//! - `echo`: a TCP echo server, a task per connection.
//! - `hyper`: hyper 1.x's HTTP/1.1 server answering every request with
//!   hello, a task per connection, with the runtime's timer installed.
//!
//! Each program is run once built, and must work: `hello` must print
//! hello, and each server, which prints its address, must echo a line or
//! answer a request before it is killed.
//!
//! The projects are written under `target/compare/footprint/`, each its
//! own workspace with its own target directory. Dependencies are fetched
//! before the clock starts, so that the build time does not include the
//! network.

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What one program costs.
pub(crate) struct Footprint {
    /// `hello`, `echo` or `hyper`.
    pub(crate) program: &'static str,
    pub(crate) runtime: &'static str,
    pub(crate) binary_bytes: u64,
    /// Crates in the tree, the program itself not counted.
    pub(crate) crates: BTreeSet<String>,
    pub(crate) build_seconds: f64,
}

/// One program on one runtime, as a project.
struct Program {
    program: &'static str,
    runtime: &'static str,
    /// The `[dependencies]` lines.
    dependencies: String,
    /// `src/main.rs`, and any module beside it: (file name, text).
    sources: Vec<(&'static str, &'static str)>,
    /// How to see that the built binary works.
    check: Check,
}

enum Check {
    /// It prints this and exits.
    Prints(&'static str),
    /// A server: it prints its address, and this exchange must succeed.
    Serves(fn(SocketAddr) -> io::Result<()>),
}

/// The programs (`benches/compare/footprint/`; `scripts/size_guard.sh`
/// builds tether's hello world too). tokio and tether are set up with only
/// the features each program needs (tokio's `#[tokio::main]` would add the
/// macro crates; tether's `net`, its sockets, in the two servers, and its
/// `futures` feature, the futures traits, only where the hyper glue uses
/// them); smol's programs use the `smol` crate, which
/// is what its users depend on, and its hyper server the glue a smol user
/// writes (`on_smol.rs`, over `async-io` and `futures-lite`, both already
/// in smol's tree). Every server runs on one thread: smol's on a
/// `LocalExecutor` that `block_on` runs.
fn programs(tether_root: &Path) -> Vec<Program> {
    let tether = |features: &str| {
        format!(
            "tether = {{ path = {:?}, default-features = false{features} }}",
            tether_root.display().to_string()
        )
    };
    let hyper = "hyper = { version = \"1\", features = [\"server\", \"http1\"] }\n\
                 http-body-util = \"0.1\"";
    let tokio = |features: &str| {
        format!(
            "tokio = {{ version = \"1.38\", default-features = false, features = [{features}] }}"
        )
    };
    vec![
        Program {
            program: "hello",
            runtime: "tether",
            dependencies: tether(""),
            sources: vec![("main.rs", include_str!("../footprint/hello_tether.rs"))],
            check: Check::Prints("hello\n"),
        },
        Program {
            program: "hello",
            runtime: "tokio",
            dependencies: tokio("\"rt\", \"time\""),
            sources: vec![("main.rs", include_str!("../footprint/hello_tokio.rs"))],
            check: Check::Prints("hello\n"),
        },
        Program {
            program: "hello",
            runtime: "smol",
            dependencies: "smol = \"2\"".to_owned(),
            sources: vec![("main.rs", include_str!("../footprint/hello_smol.rs"))],
            check: Check::Prints("hello\n"),
        },
        Program {
            program: "echo",
            runtime: "tether",
            dependencies: tether(", features = [\"net\"]"),
            sources: vec![("main.rs", include_str!("../footprint/echo_tether.rs"))],
            check: Check::Serves(echoes),
        },
        Program {
            program: "echo",
            runtime: "tokio",
            dependencies: tokio("\"rt\", \"net\", \"io-util\""),
            sources: vec![("main.rs", include_str!("../footprint/echo_tokio.rs"))],
            check: Check::Serves(echoes),
        },
        Program {
            program: "echo",
            runtime: "smol",
            dependencies: "smol = \"2\"".to_owned(),
            sources: vec![("main.rs", include_str!("../footprint/echo_smol.rs"))],
            check: Check::Serves(echoes),
        },
        Program {
            program: "hyper",
            runtime: "tether",
            dependencies: format!(
                "{}\nfutures-lite = \"2\"\n{hyper}",
                tether(", features = [\"futures\", \"net\"]")
            ),
            sources: vec![
                ("main.rs", include_str!("../footprint/hyper_tether.rs")),
                (
                    "on_tether.rs",
                    include_str!("../../../examples/hyper_server/on_tether.rs"),
                ),
            ],
            check: Check::Serves(answers),
        },
        Program {
            program: "hyper",
            runtime: "tokio",
            dependencies: format!(
                "{}\nhyper-util = {{ version = \"0.1\", default-features = false, features = [\"tokio\"] }}\n{hyper}",
                tokio("\"rt\", \"net\", \"time\"")
            ),
            sources: vec![("main.rs", include_str!("../footprint/hyper_tokio.rs"))],
            check: Check::Serves(answers),
        },
        Program {
            program: "hyper",
            runtime: "smol",
            dependencies: format!("smol = \"2\"\nasync-io = \"2\"\nfutures-lite = \"2\"\n{hyper}"),
            sources: vec![
                ("main.rs", include_str!("../footprint/hyper_smol.rs")),
                ("on_smol.rs", include_str!("../footprint/on_smol.rs")),
            ],
            check: Check::Serves(answers),
        },
    ]
}

/// The echo server sends a line back.
fn echoes(addr: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"hello\n")?;
    let mut back = [0; 6];
    stream.read_exact(&mut back)?;
    check(&back == b"hello\n", || format!("echoed {back:?}"))
}

/// The hyper server answers a request with hello.
fn answers(addr: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    check(
        response.starts_with("HTTP/1.1 200") && response.ends_with("\r\n\r\nhello\n"),
        || format!("answered {response:?}"),
    )
}

fn check(ok: bool, what: impl FnOnce() -> String) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(what()))
    }
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

/// Where the project of `program` on `runtime` is written.
pub(crate) fn project(work: &Path, program: &str, runtime: &str) -> PathBuf {
    work.join(program).join(runtime)
}

/// Runs the built binary and sees that it works (its program's `check`).
fn try_out(binary: &Path, check: &Check) {
    match check {
        Check::Prints(expected) => {
            let out = Command::new(binary).output().expect("the program runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), *expected);
        }
        Check::Serves(exchange) => {
            let mut server = Command::new(binary)
                .stdout(Stdio::piped())
                .spawn()
                .expect("the server starts");
            let mut line = String::new();
            let read = BufReader::new(server.stdout.take().unwrap()).read_line(&mut line);
            let answered = read.map_err(|err| err.to_string()).and_then(|_| {
                let addr = line
                    .trim()
                    .parse()
                    .map_err(|_| format!("printed {line:?}"))?;
                exchange(addr).map_err(|err| err.to_string())
            });
            let _ = server.kill();
            let _ = server.wait();
            if let Err(why) = answered {
                panic!("{} does not work: {why}", binary.display());
            }
        }
    }
}

/// Builds each program from clean and measures it.
pub(crate) fn measure(tether_root: &Path, work: &Path) -> Vec<Footprint> {
    programs(tether_root)
        .into_iter()
        .map(|program| {
            eprintln!("footprint: {} on {}", program.program, program.runtime);
            let dir = project(work, program.program, program.runtime);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("src")).unwrap();
            std::fs::write(
                dir.join("Cargo.toml"),
                format!(
                    "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                     [dependencies]\n{}\n\n\
                     [profile.release]\nstrip = true\n\n\
                     # Not part of the workspace around it.\n[workspace]\n",
                    program.program, program.dependencies
                ),
            )
            .unwrap();
            for (name, text) in &program.sources {
                std::fs::write(dir.join("src").join(name), text).unwrap();
            }
            run(&dir, &["fetch", "--quiet"]);
            let start = Instant::now();
            run(&dir, &["build", "--release", "--quiet"]);
            let build_seconds = start.elapsed().as_secs_f64();
            let binary = dir.join("target/release").join(program.program);
            try_out(&binary, &program.check);
            Footprint {
                program: program.program,
                runtime: program.runtime,
                binary_bytes: std::fs::metadata(&binary).unwrap().len(),
                crates: tree(&dir, None),
                build_seconds,
            }
        })
        .collect()
}
