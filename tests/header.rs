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
