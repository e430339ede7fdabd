//! Which web pages may use the demo server. It listens on 127.0.0.1, which every web page
//! in the user's browser can reach too; browsers say which page a request comes from in
//! the `Origin` header. Allowed: no `Origin` at all (command-line clients, Sockscope
//! itself) and pages served from this machine by name or loopback address, on any port:
//! `http(s)://localhost`, `http(s)://*.localhost`, `http(s)://127.x.y.z`,
//! `http(s)://[::1]` (and the same with `ws(s)://`). Everything else, `null` included
//! (sandboxed frames, `file:` pages), is refused with 403.
//!
//! A page can also reach the server under a name of its own that it points at 127.0.0.1
//! (DNS rebinding): its requests then carry no foreign `Origin` (same-origin `GET`s carry
//! none), but their `Host` is that name. So the `Host` header must be an IP address (any:
//! `serve` may listen on a LAN address) or `localhost` / `*.localhost`, with any port;
//! other names are refused with 403 as well.

use url::{Host, Url};

/// Whether a request with this `Origin` header (`None`: none) may use the demo server.
pub fn allowed(origin: Option<&str>) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let Ok(url) = Url::parse(origin.trim()) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
        return false;
    }
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether a request with this `Host` header (`None`: none, as HTTP/1.0 allows) may use the
/// demo server: an IP address or a `localhost` name, with or without a port.
pub fn host_allowed(host: Option<&str>) -> bool {
    let Some(host) = host else {
        return true;
    };
    let host = host.trim();
    if host.is_empty() || host.contains(['/', '@', '?', '#']) {
        return false;
    }
    let Ok(url) = Url::parse(&format!("http://{host}/")) else {
        return false;
    };
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
        None => false,
    }
}

/// The plain-text body of the 403 for a `Host` that [`host_allowed`] refuses.
pub fn host_refusal(host: &str) -> String {
    let shown: String = host.chars().take(200).collect();
    format!(
        "host {shown:?} may not use the Sockscope demo server: it answers to IP addresses and \
         localhost only (a page pointing its own name at this machine is refused)"
    )
}

/// The plain-text body of the 403 for `origin` (without a final newline).
pub fn refusal(origin: &str) -> String {
    let shown: String = origin.chars().take(200).collect();
    format!(
        "origin {shown:?} may not use the Sockscope demo server: it serves clients that send \
         no Origin and pages on localhost, 127.0.0.1 or [::1] only"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_pages_and_clients_without_origin_are_allowed() {
        for origin in [
            "http://localhost:3000",
            "https://LOCALHOST",
            "http://app.localhost:8080",
            "http://127.0.0.1:9001",
            "http://127.1.2.3",
            "http://[::1]:5173",
            "ws://127.0.0.1:9001",
        ] {
            assert!(allowed(Some(origin)), "{origin}");
        }
        assert!(allowed(None));
    }

    #[test]
    fn foreign_pages_are_refused() {
        for origin in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://192.168.1.10",
            "http://[::2]",
            "null",
            "file://",
            "",
            "chrome-extension://abcdef",
        ] {
            assert!(!allowed(Some(origin)), "{origin}");
        }
        assert!(refusal("https://evil.example").contains("\"https://evil.example\""));
    }

    #[test]
    fn hosts_are_ip_addresses_or_localhost_names() {
        for host in [
            "127.0.0.1:9001",
            "localhost",
            "LOCALHOST:80",
            "app.localhost:3000",
            "[::1]:9001",
            "192.168.1.10:9001",
        ] {
            assert!(host_allowed(Some(host)), "{host}");
        }
        assert!(host_allowed(None));
        for host in [
            "rebind.evil.example:9001",
            "localhost.evil.example",
            "",
            "a@127.0.0.1",
            "127.0.0.1/x",
        ] {
            assert!(!host_allowed(Some(host)), "{host}");
        }
        assert!(host_refusal("rebind.evil.example").contains("\"rebind.evil.example\""));
    }
}
