//! Sets the shared library's SONAME so programs link against the ABI
//! version (libzarrio.so.MAJOR), not the bare development name.
fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        // 0.x releases may break the ABI at each minor version.
        let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap();
        let soversion = if major == "0" {
            format!("0.{minor}")
        } else {
            major
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzarrio.so.{soversion}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
