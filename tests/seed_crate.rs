//! The seed's program, copied verbatim into a new binary crate that depends
//! on guillotine, builds and prints `In a future!`.

use std::path::PathBuf;
use std::process::Command;

const SEED_MAIN: &str = r#"fn main() {
    let future = async {
        println!("In a future!");
        42
    };
    
    let runtime = guillotine::runtime::Runtime::new().unwrap();

    let _forty_two = runtime.block_on(future);
}
"#;

#[test]
fn seed_program_prints_in_a_future() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target").join("seed-crate");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"seed\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nguillotine = {{ path = {:?} }}\n\n[workspace]\n",
            root.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), SEED_MAIN).unwrap();
    // The same dependency versions as this build, so no registry is needed.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "seed crate failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "In a future!\n");
}
