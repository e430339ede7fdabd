//! What a user sets for a tab: its kind, connection settings, templates, variables, secret
//! headers, pins and memory budget. One plain type: the window's tab holds it, a session
//! file saves it (beside the recorded timeline) and the workspace restores it. Saving is
//! serializing it; restoring is deserializing it.

use serde::{Deserialize, Serialize};

use super::decode_settings::DecodeSettings;
use super::memory_budget;
use super::session::SecretHeader;
use super::template::Template;
use crate::engine::ConnectionConfig;
use crate::format::query::{self, QueryParam};

/// What a tab connects with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TabKind {
    /// A WebSocket (`http(s)://` URLs mean `ws(s)://`, as browsers do).
    #[default]
    WebSocket,
    /// A Server-Sent Events stream over `http(s)://`; the tab only receives.
    Sse,
    /// A proxy between clients and an upstream server ([`TabSetup::proxy`]): its
    /// connections, each with both legs, intercept and rules.
    Proxy,
    /// A mock server ([`TabSetup::server`]): each client that connects, driven by hand
    /// and by auto-responses.
    Server,
}

impl TabKind {
    /// Every kind, in the order the connection bar offers them.
    pub const ALL: [TabKind; 2] = [TabKind::WebSocket, TabKind::Sse];

    /// The name shown in the connection bar's selector.
    pub fn label(self) -> &'static str {
        match self {
            TabKind::WebSocket => "WebSocket",
            TabKind::Sse => "SSE",
            TabKind::Proxy => "Proxy",
            TabKind::Server => "Server",
        }
    }

    /// True for a WebSocket (what a file means when it names no kind).
    pub fn is_websocket(&self) -> bool {
        *self == TabKind::WebSocket
    }
}

/// A pinned timeline row and the note the user wrote about it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The row's index in the tab's timeline.
    pub index: usize,
    /// What the user wrote about it.
    pub note: String,
}

/// Everything a user sets for a tab. Plain data: no egui, no tokio.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TabSetup {
    /// What the tab connects with.
    #[serde(skip_serializing_if = "TabKind::is_websocket")]
    pub kind: TabKind,
    /// The connection settings (URL, headers, subprotocols, TLS, proxy, reconnect, limits),
    /// as typed: `{{variables}}` are expanded only when connecting.
    pub config: ConnectionConfig,
    /// The tab's own message templates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<Template>,
    /// User variables, `(name, value)`, for `{{name}}` in messages, the URL and headers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<(String, String)>,
    /// Headers whose values are saved only as `{{env.NAME}}` references.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_headers: Vec<SecretHeader>,
    /// Rows the user pinned, with their notes (indices into the tab's timeline).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<Pin>,
    /// The timeline's memory budget in MiB, when not the default (512).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_budget_mib: Option<u64>,
    /// The tab connects to the window's embedded demo server, at this path (with query):
    /// written when saving, so that a restored tab reaches this run's demo server whatever
    /// port it got, not the port of the run that saved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo_path: Option<String>,
    /// Query parameters switched off in the params table, with their row in it: kept, not
    /// sent (the URL holds the ones that are sent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled_params: Vec<(usize, QueryParam)>,
    /// How the tab's payloads are decoded for viewing and encoded by the composer.
    #[serde(skip_serializing_if = "DecodeSettings::is_default")]
    pub decode: DecodeSettings,
    /// The State view's fold (issue 24), once the user chose one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fold: Option<crate::model::fold::FoldSettings>,
    /// A proxy tab's settings (listen address, upstream, header changes, rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<super::proxy_setup::ProxySetup>,
    /// A server tab's settings (listen address, subprotocol, auto-responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<super::server_setup::ServerSetup>,
    /// The tab's script (issue 22): JavaScript run with its connection; empty for none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub script: String,
}

impl TabSetup {
    /// The params table: the URL's parameters, with the switched-off ones at their rows.
    pub fn params_table(&self) -> Vec<QueryParam> {
        let mut table = query::params(&self.config.url);
        for (row, param) in &self.disabled_params {
            let param = QueryParam {
                enabled: false,
                ..param.clone()
            };
            table.insert((*row).min(table.len()), param);
        }
        table
    }

    /// Writes an edited params table back: the enabled rows into the URL (pairs the edit
    /// did not touch stay as typed), the others beside it.
    pub fn set_params_table(&mut self, table: &[QueryParam]) {
        self.config.url = query::rewrite(&self.config.url, table);
        self.disabled_params = table
            .iter()
            .enumerate()
            .filter(|(_, param)| !param.enabled)
            .map(|(row, param)| (row, param.clone()))
            .collect();
    }

    /// A WebSocket tab that will connect to `url`, everything else at its default.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            config: ConnectionConfig::new(url),
            ..Self::default()
        }
    }

    /// A tab set up with `config`.
    pub fn with_config(config: ConnectionConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The timeline's memory budget in bytes (at least 1 MiB).
    pub fn memory_budget(&self) -> usize {
        match self.memory_budget_mib {
            None => memory_budget::DEFAULT_LIMIT,
            Some(mib) => {
                let mib = usize::try_from(mib)
                    .unwrap_or(usize::MAX)
                    .min(usize::MAX >> 20);
                (mib << 20).max(1 << 20)
            }
        }
    }

    /// Sets the memory budget to `bytes` (whole MiB), or back to the default.
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.memory_budget_mib =
            (bytes != memory_budget::DEFAULT_LIMIT).then_some((bytes >> 20) as u64);
    }

    /// The tab's title: host, port and path of its URL.
    pub fn title(&self) -> String {
        if let Some(proxy) = &self.proxy {
            return proxy.title();
        }
        if let Some(server) = &self.server {
            return server.title();
        }
        let typed = self.config.url.trim();
        match url::Url::parse(typed) {
            Ok(url) => {
                let host = url.host_str().unwrap_or("?");
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{host}{port}{}", url.path())
            }
            Err(_) if typed.is_empty() => "New tab".to_owned(),
            Err(_) => typed.to_owned(),
        }
    }

    /// Notes whether the URL points at the embedded demo server at `demo_base`
    /// (`ws://127.0.0.1:PORT`): its path is kept in [`TabSetup::demo_path`].
    pub fn mark_demo(&mut self, demo_base: Option<&str>) {
        // A proxy tab's upstream is its URL.
        let url = match (&self.kind, &self.proxy) {
            (TabKind::Proxy, Some(proxy)) => proxy.upstream.as_str(),
            _ => self.config.url.as_str(),
        };
        self.demo_path = demo_base.and_then(|base| {
            let rest = url.trim().strip_prefix(base)?;
            (rest.is_empty() || rest.starts_with(['/', '?'])).then(|| rest.to_owned())
        });
    }

    /// Points a tab saved as "the demo server, path P" at this run's demo server
    /// (`demo_base`); without a demo server the saved URL stays. Either way the mark is
    /// used up: the setup is then what the user sees.
    pub fn resolve_demo(&mut self, demo_base: Option<&str>) {
        if let (Some(path), Some(base)) = (self.demo_path.take(), demo_base) {
            match (&self.kind, &mut self.proxy) {
                (TabKind::Proxy, Some(proxy)) => proxy.upstream = format!("{base}{path}"),
                _ => self.config.url = format!("{base}{path}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_params_table_keeps_switched_off_rows_beside_the_url() {
        let mut setup = TabSetup::new("ws://h/p?a=1&b=2&c=3");
        let mut table = setup.params_table();
        table[1].enabled = false;
        table[2].value = "x y".into();
        setup.set_params_table(&table);
        assert_eq!(setup.config.url, "ws://h/p?a=1&c=x%20y");
        assert_eq!(setup.params_table(), table);
        // Typing in the URL keeps the switched-off row at its place.
        setup.config.url = "ws://h/p?a=9&c=3&d=4".into();
        let names: Vec<_> = setup
            .params_table()
            .iter()
            .map(|p| (p.name.clone(), p.enabled))
            .collect();
        assert_eq!(
            names,
            [
                ("a".into(), true),
                ("b".into(), false),
                ("c".into(), true),
                ("d".into(), true)
            ]
        );
    }

    use super::*;

    #[test]
    fn a_demo_tab_is_saved_by_path_and_restored_on_this_runs_port() {
        let mut setup = TabSetup::new("ws://127.0.0.1:4100/echo?x=1");
        setup.mark_demo(Some("ws://127.0.0.1:4100"));
        assert_eq!(setup.demo_path.as_deref(), Some("/echo?x=1"));
        setup.resolve_demo(Some("ws://127.0.0.1:5200"));
        assert_eq!(setup.config.url, "ws://127.0.0.1:5200/echo?x=1");
        assert_eq!(setup.demo_path, None);

        // Another port on the same host is not the demo server.
        let mut other = TabSetup::new("ws://127.0.0.1:41000/echo");
        other.mark_demo(Some("ws://127.0.0.1:4100"));
        assert_eq!(other.demo_path, None);
        // Without a demo server this run, the saved URL stays.
        let mut kept = TabSetup::new("ws://127.0.0.1:4100/echo");
        kept.demo_path = Some("/echo".into());
        kept.resolve_demo(None);
        assert_eq!(kept.config.url, "ws://127.0.0.1:4100/echo");
        // A proxy tab's upstream on the demo server follows it too.
        let mut proxy = TabSetup {
            kind: TabKind::Proxy,
            proxy: Some(super::super::proxy_setup::ProxySetup::new(
                "ws://127.0.0.1:4100/",
            )),
            ..TabSetup::default()
        };
        proxy.mark_demo(Some("ws://127.0.0.1:4100"));
        proxy.resolve_demo(Some("ws://127.0.0.1:5200"));
        assert_eq!(
            proxy.proxy.map(|p| p.upstream).as_deref(),
            Some("ws://127.0.0.1:5200/")
        );
    }

    #[test]
    fn the_memory_budget_is_saved_only_when_not_the_default() {
        let mut setup = TabSetup::default();
        assert_eq!(setup.memory_budget(), memory_budget::DEFAULT_LIMIT);
        setup.set_memory_budget(64 << 20);
        assert_eq!(setup.memory_budget_mib, Some(64));
        assert_eq!(setup.memory_budget(), 64 << 20);
        setup.memory_budget_mib = Some(0);
        assert_eq!(setup.memory_budget(), 1 << 20, "at least 1 MiB");
        setup.set_memory_budget(memory_budget::DEFAULT_LIMIT);
        assert_eq!(setup.memory_budget_mib, None);
    }
}
