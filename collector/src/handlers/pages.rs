//! The pages and files the collector serves: the widget's build (`/pkg`, `/embed.js`), the
//! demo and the desk (`www/`), each page with its policy whatever the path's spelling, and
//! the demo's partner site.

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// `strict.html`, served under the strictest policy a host may set, with and without the
/// `'wasm-unsafe-eval'` the widget needs, to show it works, or fails quietly, there.
pub const STRICT_PAGES: [(&str, &str, &str); 2] = [
    (
        "/strict.html",
        "strict.html",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         require-trusted-types-for 'script'; connect-src 'self'",
    ),
    (
        "/strict-no-wasm.html",
        "strict.html",
        "default-src 'self'; script-src 'self'; style-src 'self'; require-trusted-types-for 'script'; \
         connect-src 'self'",
    ),
];

/// The desk's pages, under a policy as strict as `strict.html`'s: no inline script or style,
/// no HTML from strings, nothing from elsewhere, and not framed by other sites. The preview
/// runs the widget on a draft (a blob: feed) and shows its image from wherever it is.
pub const DESK_PAGES: [(&str, &str, &str); 3] = [
    (
        "/console.html",
        "console.html",
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-src 'self'; \
         require-trusted-types-for 'script'; frame-ancestors 'none'",
    ),
    (
        "/dashboard.html",
        "dashboard.html",
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         require-trusted-types-for 'script'; frame-ancestors 'none'",
    ),
    (
        "/preview.html",
        "preview.html",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' blob:; \
         img-src 'self' https: http:; require-trusted-types-for 'script'; frame-ancestors 'self'",
    ),
];

/// Every other file of `www/` may be framed by the collector's own pages only.
pub const DEFAULT_POLICY: &str = "frame-ancestors 'self'";

/// A file of the build named by its content (`depeche_bg.<16 hex>.wasm`): a new build has a
/// new name, so a browser keeps this one as long as it likes and never asks again.
pub const CACHE_HASHED: &str = "public, max-age=31536000, immutable";

/// Every other file of the build, `/embed.js` first: it names the wasm, so a new build must
/// reach readers within minutes; after that the browser revalidates it (`Last-Modified`,
/// from the file server) and a 304 costs only the headers.
pub const CACHE_SHORT: &str = "public, max-age=300";

/// Adds the routes of the static files to `router`.
pub fn add(mut router: Router<crate::state::AppState>, config: &crate::state::Config) -> Router<crate::state::AppState> {
    if let Some(pkg) = &config.pkg {
        // The build writes each file precompressed beside it (Brotli .br, Zopfli .gz);
        // a browser gets the best one it accepts, unless a copy is older than its file.
        let precompressed = precompressed_fresh(pkg);
        if !precompressed {
            eprintln!("depeche-collector: {} has precompressed copies older than their files; serving the files uncompressed (run scripts/build.sh)", pkg.display());
        }
        let mut dir = ServeDir::new(pkg);
        // The release build writes the loader (minified, with the wasm's glue inside) beside the
        // wasm; pages load it as /embed.js, so that it resolves pkg/ from the same place as
        // the readable one.
        let loader = pkg.join("embed.js");
        let mut loader_file = loader.is_file().then(|| ServeFile::new(&loader));
        if precompressed {
            dir = dir.precompressed_br().precompressed_gzip();
            loader_file = loader_file.map(|f| f.precompressed_br().precompressed_gzip());
        }
        let mut build = Router::new().nest_service("/pkg", dir);
        if let Some(file) = loader_file {
            build = build.route_service("/embed.js", file);
        }
        router = router.merge(build.layer(axum::middleware::from_fn(cache_policy)));
    }
    if let Some(www) = &config.www {
        for (path, file, csp) in STRICT_PAGES.into_iter().chain(DESK_PAGES) {
            let file = www.join(file);
            router = router.route(path, get(move || html_with_csp(file.clone(), csp)));
        }
        let files = tower::ServiceBuilder::new()
            .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEFAULT_POLICY)))
            .service(ServeDir::new(www));
        router = router.fallback_service(files);
    }
    router
}

/// Says how long a browser may keep a file of the build: a year for one named by its content,
/// minutes for the others. Only on a file sent or confirmed (2xx, 304): a missing file, under
/// any name, must be asked for again. The body depends on `Accept-Encoding` (a precompressed
/// copy): a shared cache, allowed to keep it a year, must not send Brotli to whoever asked.
async fn cache_policy(request: Request, next: Next) -> Response {
    let hashed = content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if hashed { CACHE_HASHED } else { CACHE_SHORT };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Whether the last segment of `path` is the wasm as scripts/build.sh names it by its content,
/// `depeche_bg.<16 lowercase hex digits>.wasm`, and nothing else: a year-long `immutable` is
/// for what the build names, not for any file an operator puts in `--pkg`.
fn content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.strip_prefix("depeche_bg.")
        .and_then(|rest| rest.strip_suffix(".wasm"))
        .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Refuses a path spelled other than plainly (`/%63onsole.html`, `//console.html`,
/// `/./console.html`): the file server would find the page under another name than the one
/// its policy is attached to. No file the collector serves needs such a spelling.
pub async fn plain_paths_only(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let plain = !path.contains('%') && !path.contains("//") && !path.split('/').any(|seg| seg == "." || seg == "..") && !path.contains('\\');
    if plain {
        next.run(request).await
    } else {
        (StatusCode::NOT_FOUND, "no such page (a path spelled another way)").into_response()
    }
}

/// Whether every precompressed copy (`.gz`, `.br`) in `dir` is at least as new as its
/// file: a copy left from an older build must never be served for a newer file.
fn precompressed_fresh(dir: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Ok(entries) = std::fs::read_dir(dir) else { return true };
    entries.flatten().map(|e| e.path()).filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("gz" | "br"))).all(|copy| {
        matches!((modified(&copy), modified(&copy.with_extension(""))), (Some(c), Some(f)) if c >= f)
    })
}

async fn html_with_csp(file: PathBuf, csp: &'static str) -> Response {
    match tokio::fs::read_to_string(&file).await {
        Ok(page) => ([(CONTENT_TYPE, "text/html; charset=utf-8"), (CONTENT_SECURITY_POLICY, csp)], page).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

/// The partner site of the demo: its pages, with `%PUBLISHER_ORIGIN%` filled in.
pub fn partner_app(dir: PathBuf, publisher_origin: String) -> Router {
    let index = dir.join("index.html");
    Router::new()
        .route(
            "/",
            get(move || {
                let index = index.clone();
                let origin = publisher_origin.clone();
                async move {
                    match tokio::fs::read_to_string(&index).await {
                        Ok(page) => {
                            ([(CONTENT_TYPE, "text/html; charset=utf-8")], page.replace("%PUBLISHER_ORIGIN%", &origin))
                                .into_response()
                        }
                        Err(_) => (StatusCode::NOT_FOUND, "no partner page").into_response(),
                    }
                }
            }),
        )
        .fallback_service(ServeDir::new(dir))
}

#[cfg(test)]
mod tests {
    use super::content_hashed;

    #[test]
    fn only_the_wasm_named_by_sixteen_lowercase_hex_digits_is_hashed() {
        for hashed in ["/pkg/depeche_bg.0123456789abcdef.wasm", "/depeche_bg.0123456789abcdef.wasm"] {
            assert!(content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/embed.js",
            "/pkg/depeche_bg.wasm",
            "/pkg/0123456789abcdef.wasm",
            "/pkg/depeche_bg.0123456789abcdef",
            "/pkg/depeche_bg.0123456789ABCDEF.wasm",
            "/pkg/depeche_bg.0123456789abcde.wasm",
            "/pkg/depeche_bg.0123456789abcdef0.wasm",
            "/pkg/depeche_bg.0123456789abcdeg.wasm",
            "/pkg.0123456789abcdef.d/embed.js",
            "/pkg/a.0123456789abcdef.b.c",
            "/pkg/other.0123456789abcdef.wasm",
            "/pkg/depeche_bg.0123456789abcdef.wasm.map",
        ] {
            assert!(!content_hashed(plain), "{plain}");
        }
    }
}
