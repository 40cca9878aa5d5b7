//! include/zarrio.h must be what cbindgen generates from the sources now.
//! Run with ZARRIO_BLESS=1 to rewrite it.

use std::path::PathBuf;

fn generate() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let (major, minor, patch) = (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_PATCH"),
    );
    let number: u32 = major.parse::<u32>().unwrap() * 10000
        + minor.parse::<u32>().unwrap() * 100
        + patch.parse::<u32>().unwrap();
    config.after_includes = Some(format!(
        "\n#define ZARRIO_VERSION_MAJOR {major}\n#define ZARRIO_VERSION_MINOR {minor}\n#define ZARRIO_VERSION_PATCH {patch}\n\
         #define ZARRIO_VERSION_STRING \"{}\"\n#define ZARRIO_VERSION_NUMBER {number}\n",
        env!("CARGO_PKG_VERSION")
    ));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_crate(&root)
        .generate()
        .expect("cbindgen failed")
        .write(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn header_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/zarrio.h");
    let fresh = generate();
    if std::env::var_os("ZARRIO_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/zarrio.h is stale: regenerate it with `ZARRIO_BLESS=1 cargo test --test header`"
    );
}

#[test]
fn fortran_constants_match_the_header() {
    // Every `parameter :: ZARRIO_X = v` of the Fortran module is the
    // header's `#define ZARRIO_X v`.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(root.join("include/zarrio.h")).unwrap();
    let fortran = std::fs::read_to_string(root.join("include/zarrio.f90")).unwrap();
    let mut checked = 0;
    for line in fortran.lines() {
        let Some((_, rest)) = line.split_once("parameter :: ") else {
            continue;
        };
        let Some((name, value)) = rest.split_once(" = ") else {
            continue;
        };
        let value = value.trim();
        let define = header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("{name} is not in include/zarrio.h"));
        let define = define.trim().trim_start_matches('(').trim_end_matches(')');
        assert_eq!(define, value, "{name}");
        checked += 1;
    }
    assert!(
        checked >= 13,
        "{checked} constants found in include/zarrio.f90"
    );
}

/// Every macro the header defines is in the library's namespace
/// (`ZARRIO_`): a public Rust constant cbindgen turns into a macro of
/// another name (a `NAMES` table once) breaks C programs that use the
/// name for their own.
#[test]
fn header_macros_are_prefixed() {
    let header = generate();
    let stray: Vec<&str> = header
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .filter(|name| !name.starts_with("ZARRIO_"))
        .collect();
    assert!(stray.is_empty(), "macros outside ZARRIO_: {stray:?}");
}
