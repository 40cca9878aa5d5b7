//! Sets the shared library's SONAME so programs link against the ABI
//! version (libzarrio.so.MAJOR), not the bare development name, and
//! links libzfp when the `zfp` feature is on.
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
    // numcodecs' zfpy codec calls the system's libzfp.
    if std::env::var_os("CARGO_FEATURE_ZFP").is_some() {
        println!("cargo:rustc-link-lib=zfp");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
