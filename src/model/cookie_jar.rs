//! A cookie jar for handshakes: `Set-Cookie` from a handshake response is kept (RFC 6265's
//! storage model through `cookie_store`: domain and path matching, host-only cookies,
//! expiry, `Secure`, `HttpOnly`) and sent as `Cookie` on the next handshake to that host.
//! Read and written in the Netscape `cookies.txt` format that curl uses.
//!
//! A WebSocket handshake is an HTTP request, so `ws://` counts as `http://` and `wss://`
//! as `https://` for the rules (`HttpOnly` cookies are sent; `Secure` ones only over
//! `wss://`, or to a loopback host, as browsers do). No public-suffix list is built in: a
//! cookie a server sets for a whole top-level domain is kept for it.

use std::path::Path;

use cookie_store::{CookieDomain, CookieExpiration, CookieStore, RawCookie};
use time::OffsetDateTime;
use url::Url;

use crate::engine::{ConnectionConfig, HeaderEntry};

/// The first line curl writes, which `curl -b`/`-c` and browsers' exporters recognise.
const HEADER: &str =
    "# Netscape HTTP Cookie File\n# Written by Sockscope. Edit at your own risk.\n\n";

/// Why a cookie file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CookieFileError {
    /// The file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// A line is not a cookie line (seven fields separated by tabs).
    #[error("{path}:{line}: {why}")]
    Line {
        /// The file.
        path: String,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
}

/// One jar shared by a window's tabs (all on the window's thread; the lock is never
/// contended).
pub type SharedJar = std::sync::Arc<std::sync::Mutex<CookieJar>>;

/// The cookies a workspace or a run keeps.
#[derive(Debug, Default)]
pub struct CookieJar {
    store: CookieStore,
}

/// One cookie as a cookie manager shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieRow {
    /// The domain (without a leading dot).
    pub domain: String,
    /// True when only that exact host gets it (no `Domain` attribute was given).
    pub host_only: bool,
    /// The path.
    pub path: String,
    /// Sent only over `wss://` (or to a loopback host).
    pub secure: bool,
    /// Not readable by scripts (irrelevant to handshakes, kept for the file).
    pub http_only: bool,
    /// When it expires, in Unix seconds; `None` for a session cookie.
    pub expires: Option<i64>,
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
}

/// The URL as the cookie rules see it: `ws` as `http`, `wss` as `https`.
fn as_http(url: &Url) -> Url {
    let scheme = match url.scheme() {
        "ws" => "http",
        "wss" => "https",
        _ => return url.clone(),
    };
    let mut http = url.clone();
    // Changing between these special schemes always succeeds; if it did not, the URL
    // is used as it is.
    let _ = http.set_scheme(scheme);
    http
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// The `Cookie` header value for a handshake to `url` (`None` when no cookie matches):
    /// longer paths first (RFC 6265 5.4), then by name (the store keeps no creation time,
    /// and a fixed order keeps runs comparable).
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let url = as_http(url);
        let mut cookies = self.store.matches(&url);
        cookies.sort_by(|a, b| {
            let path_len = |c: &cookie_store::Cookie<'_>| String::from(&c.path).len();
            path_len(b)
                .cmp(&path_len(a))
                .then_with(|| a.name().cmp(b.name()))
        });
        let pairs: Vec<String> = cookies
            .iter()
            .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keeps the cookies of `Set-Cookie` header values received from `url`. Returns how
    /// many were stored (a malformed one, or one for a domain `url` does not match, is
    /// ignored, as a browser ignores it).
    pub fn store_set_cookies<'a>(
        &mut self,
        url: &Url,
        set_cookies: impl IntoIterator<Item = &'a str>,
    ) -> usize {
        let url = as_http(url);
        let mut stored = 0;
        for value in set_cookies {
            if let Ok(raw) = RawCookie::parse(value.to_owned())
                && self.store.insert_raw(&raw, &url).is_ok()
            {
                stored += 1;
            }
        }
        stored
    }

    /// `config` with this jar's cookies for its URL in a `Cookie` header (joined to one the
    /// user typed, which comes first); `None` when no cookie matches.
    pub fn apply(&self, config: &ConnectionConfig) -> Option<ConnectionConfig> {
        let url = crate::engine::normalize_url(&config.url).ok()?;
        let cookies = self.header_for(&url)?;
        let mut with = config.clone();
        match with
            .headers
            .iter_mut()
            .find(|h| h.enabled && h.name.trim().eq_ignore_ascii_case("cookie"))
        {
            Some(typed) => typed.value = format!("{}; {cookies}", typed.value.trim()),
            None => with.headers.push(HeaderEntry::new("Cookie", cookies)),
        }
        Some(with)
    }

    /// Keeps the `Set-Cookie` headers of a handshake answer (an open event's response
    /// headers, or a rejected handshake's) from `url`, as connected to; returns how many.
    pub fn store_response(&mut self, url: &str, headers: &[(String, String)]) -> usize {
        let Ok(url) = crate::engine::normalize_url(url) else {
            return 0;
        };
        let set_cookies = headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value.as_str());
        self.store_set_cookies(&url, set_cookies)
    }

    /// How many unexpired cookies the jar keeps.
    pub fn len(&self) -> usize {
        self.store.iter_unexpired().count()
    }

    /// True when the jar keeps no unexpired cookie.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every unexpired cookie, for a cookie manager, sorted by domain, path and name.
    pub fn rows(&self) -> Vec<CookieRow> {
        let mut rows: Vec<CookieRow> = self
            .store
            .iter_unexpired()
            .filter_map(|cookie| {
                let (domain, host_only) = match &cookie.domain {
                    CookieDomain::HostOnly(domain) => (domain.clone(), true),
                    CookieDomain::Suffix(domain) => (domain.clone(), false),
                    CookieDomain::NotPresent | CookieDomain::Empty => return None,
                };
                let expires = match &cookie.expires {
                    CookieExpiration::AtUtc(at) => Some(at.unix_timestamp()),
                    CookieExpiration::SessionEnd => None,
                };
                Some(CookieRow {
                    domain,
                    host_only,
                    path: String::from(&cookie.path),
                    secure: cookie.secure().unwrap_or(false),
                    http_only: cookie.http_only().unwrap_or(false),
                    expires,
                    name: cookie.name().to_owned(),
                    value: cookie.value().to_owned(),
                })
            })
            .collect();
        rows.sort_by(|a, b| (&a.domain, &a.path, &a.name).cmp(&(&b.domain, &b.path, &b.name)));
        rows
    }

    /// Removes a cookie; true when it was there.
    pub fn remove(&mut self, domain: &str, path: &str, name: &str) -> bool {
        self.store.remove(domain, path, name).is_some()
    }

    /// Adds (or replaces) a cookie as a row describes it.
    pub fn insert_row(&mut self, row: &CookieRow) -> Result<(), String> {
        let host = row.domain.trim_start_matches('.');
        let url = Url::parse(&format!("https://{host}{}", row.path))
            .map_err(|e| format!("domain {:?}: {e}", row.domain))?;
        let mut raw = RawCookie::new(row.name.clone(), row.value.clone());
        if !row.host_only {
            raw.set_domain(host.to_owned());
        }
        raw.set_path(row.path.clone());
        raw.set_secure(row.secure);
        raw.set_http_only(row.http_only);
        if let Some(at) = row.expires {
            let at =
                OffsetDateTime::from_unix_timestamp(at).map_err(|e| format!("expiry {at}: {e}"))?;
            raw.set_expires(at);
        }
        self.store
            .insert_raw(&raw, &url)
            .map(|_| ())
            .map_err(|e| format!("cookie {:?}: {e}", row.name))
    }

    /// Parses a Netscape `cookies.txt` text; `path` names the file in errors. Expired
    /// cookies are dropped; an expiry of 0 is a session cookie.
    pub fn parse(path: &Path, text: &str) -> Result<Self, CookieFileError> {
        let mut jar = CookieJar::new();
        for (index, raw) in text.lines().enumerate() {
            let error = |why: String| CookieFileError::Line {
                path: path.display().to_string(),
                line: index + 1,
                why,
            };
            let (line, http_only) = match raw.strip_prefix("#HttpOnly_") {
                Some(rest) => (rest, true),
                None => (raw, false),
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [
                domain,
                subdomains,
                cookie_path,
                secure,
                expires,
                name,
                value,
            ] = fields[..]
            else {
                return Err(error(format!(
                    "expected 7 fields separated by tabs, found {}",
                    fields.len()
                )));
            };
            let flag = |text: &str, what: &str| match text {
                "TRUE" => Ok(true),
                "FALSE" => Ok(false),
                other => Err(error(format!(
                    "{what} is {other:?}, expected TRUE or FALSE"
                ))),
            };
            let expires: i64 = expires
                .trim()
                .parse()
                .map_err(|_| error(format!("expiry {expires:?} is not a number")))?;
            let row = CookieRow {
                domain: domain.trim_start_matches('.').to_owned(),
                host_only: !flag(subdomains, "the subdomain flag")?,
                path: cookie_path.to_owned(),
                secure: flag(secure, "the secure flag")?,
                http_only,
                expires: (expires != 0).then_some(expires),
                name: name.to_owned(),
                value: value.to_owned(),
            };
            if row
                .expires
                .is_some_and(|at| at <= OffsetDateTime::now_utc().unix_timestamp())
            {
                continue;
            }
            jar.insert_row(&row).map_err(error)?;
        }
        Ok(jar)
    }

    /// Reads a `cookies.txt`; a file that does not exist is an empty jar.
    pub fn load(path: &Path) -> Result<Self, CookieFileError> {
        match std::fs::read_to_string(path) {
            Ok(text) => CookieJar::parse(path, &text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(CookieJar::new()),
            Err(source) => Err(CookieFileError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The jar as `cookies.txt` text (session cookies too, with expiry 0, as curl does).
    pub fn to_text(&self) -> String {
        let mut out = String::from(HEADER);
        for row in self.rows() {
            let bool_text = |b: bool| if b { "TRUE" } else { "FALSE" };
            let domain = if row.host_only {
                row.domain.clone()
            } else {
                format!(".{}", row.domain)
            };
            out.push_str(&format!(
                "{}{domain}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                if row.http_only { "#HttpOnly_" } else { "" },
                bool_text(!row.host_only),
                row.path,
                bool_text(row.secure),
                row.expires.unwrap_or(0),
                row.name,
                row.value
            ));
        }
        out
    }

    /// Writes the jar to `path` atomically; a new file is readable by its owner only
    /// (cookies are credentials), an existing one keeps its mode.
    pub fn save(&self, path: &Path) -> Result<(), CookieFileError> {
        super::storage::write_atomic(path, self.to_text().as_bytes()).map_err(|source| {
            CookieFileError::Io {
                path: path.display().to_string(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn jar_with(from: &str, set: &[&str]) -> CookieJar {
        let mut jar = CookieJar::new();
        jar.store_set_cookies(&url(from), set.iter().copied());
        jar
    }

    // The cases below follow RFC 6265 sections 5.1.3 (domain matching), 5.1.4 (paths),
    // 5.3 (the storage model) and 5.4 (the Cookie header).

    #[test]
    fn host_only_and_domain_cookies() {
        let jar = jar_with(
            "wss://www.example.com/",
            &["a=1", "b=2; Domain=example.com", "c=3; Domain=.example.com"],
        );
        assert_eq!(
            jar.header_for(&url("wss://www.example.com/")).as_deref(),
            Some("a=1; b=2; c=3")
        );
        // A sibling host gets only the domain cookies.
        assert_eq!(
            jar.header_for(&url("wss://api.example.com/")).as_deref(),
            Some("b=2; c=3")
        );
        assert_eq!(jar.header_for(&url("wss://example.org/")), None);
        assert_eq!(jar.header_for(&url("wss://notexample.com/")), None);
    }

    #[test]
    fn a_server_cannot_set_a_cookie_for_another_domain() {
        let jar = jar_with(
            "ws://www.example.com/",
            &[
                "evil=1; Domain=example.org",
                "sub=1; Domain=deep.www.example.com",
            ],
        );
        assert!(jar.rows().is_empty(), "{:?}", jar.rows());
    }

    #[test]
    fn paths_match_by_prefix_on_segment_boundaries() {
        let jar = jar_with(
            "ws://h.example/app/socket",
            &["root=1; Path=/", "app=1; Path=/app", "default=1"],
        );
        let header = |path: &str| jar.header_for(&url(&format!("ws://h.example{path}")));
        assert_eq!(
            header("/app/x").as_deref(),
            Some("app=1; default=1; root=1")
        );
        assert_eq!(header("/app").as_deref(), Some("app=1; default=1; root=1"));
        assert_eq!(header("/application").as_deref(), Some("root=1"));
        assert_eq!(header("/").as_deref(), Some("root=1"));
    }

    #[test]
    fn secure_cookies_go_only_over_wss_and_expired_ones_not_at_all() {
        let jar = jar_with(
            "wss://h.example/",
            &[
                "s=1; Secure",
                "p=1",
                "gone=1; Max-Age=0",
                "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
            ],
        );
        assert_eq!(
            jar.header_for(&url("wss://h.example/")).as_deref(),
            Some("p=1; s=1")
        );
        assert_eq!(
            jar.header_for(&url("ws://h.example/")).as_deref(),
            Some("p=1")
        );
        // A later Set-Cookie with Max-Age=0 deletes a cookie.
        let mut jar = jar;
        jar.store_set_cookies(&url("wss://h.example/"), ["p=1; Max-Age=0"]);
        assert_eq!(
            jar.header_for(&url("wss://h.example/")).as_deref(),
            Some("s=1")
        );
    }

    #[test]
    fn http_only_cookies_are_sent_on_a_handshake() {
        let jar = jar_with("ws://h.example/", &["sid=abc; HttpOnly"]);
        assert_eq!(
            jar.header_for(&url("ws://h.example/")).as_deref(),
            Some("sid=abc")
        );
    }

    #[test]
    fn cookies_txt_reads_and_writes_as_curl_does() {
        let future = OffsetDateTime::now_utc().unix_timestamp() + 3600;
        let text = format!(
            "# Netscape HTTP Cookie File\n\
             .example.com\tTRUE\t/\tFALSE\t{future}\tdomain\tv1\n\
             www.example.com\tFALSE\t/app\tTRUE\t0\tsession\tv2\n\
             #HttpOnly_www.example.com\tFALSE\t/\tFALSE\t{future}\tsid\tv3\n\
             www.example.com\tFALSE\t/\tFALSE\t1000\texpired\tv4\n"
        );
        let jar = CookieJar::parse(Path::new("c.txt"), &text).unwrap();
        assert_eq!(
            jar.header_for(&url("wss://www.example.com/app/x"))
                .as_deref(),
            Some("session=v2; domain=v1; sid=v3")
        );
        let written = jar.to_text();
        assert!(written.starts_with("# Netscape HTTP Cookie File\n"));
        assert!(written.contains(&format!(
            ".example.com\tTRUE\t/\tFALSE\t{future}\tdomain\tv1\n"
        )));
        assert!(written.contains("www.example.com\tFALSE\t/app\tTRUE\t0\tsession\tv2\n"));
        assert!(written.contains(&format!(
            "#HttpOnly_www.example.com\tFALSE\t/\tFALSE\t{future}\tsid\tv3\n"
        )));
        assert!(!written.contains("expired"));
        let again = CookieJar::parse(Path::new("c.txt"), &written).unwrap();
        assert_eq!(again.rows(), jar.rows());
        let error = CookieJar::parse(Path::new("c.txt"), "a\tb\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "c.txt:1: expected 7 fields separated by tabs, found 2"
        );
    }
}
