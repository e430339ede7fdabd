//! The egui window. Panels are functions or structs that draw and push [`action::Action`]s;
//! [`SockscopeApp`] runs them after layout. No I/O happens while drawing. The labels,
//! shortcuts and hover texts of the commands people invoke are written once, in
//! [`commands`].

pub mod action;
mod auth_panel;
pub mod background;
pub mod commands;
pub mod composer;
mod connection_bar;
mod connection_options;
mod cookies_panel;
mod decode_panel;
pub mod decoding;
mod deflate_option;
pub mod detail;
pub mod env_consent;
mod environments_panel;
pub mod filter_bar;
mod held_edit;
mod live_source;
mod oauth_state;
mod params_table;
pub mod pins;
pub mod proto_schema;
mod protocol_groups;
mod protocol_panel;
pub mod protocol_rows;
mod proxy_panel;
mod proxy_rules_panel;
pub mod proxy_run;
pub mod proxy_tab;
mod repeat;
pub mod replay_view;
mod request_panel;
pub mod row_menu;
pub mod script_panel;
pub mod secret_cache;
mod server_panel;
pub mod server_tab;
pub mod session_menu;
mod sockscope_app;
mod state_tree;
mod state_view;
mod stats_strip;
mod style;
mod tab;
pub mod tab_fold;
mod tab_messages;
pub mod tab_script;
mod tab_strip;
pub mod templates_panel;
mod timeline_view;
mod variables_panel;

pub use crate::model::tab_setup::{TabKind, TabSetup};
pub use pins::Pin;
pub use sockscope_app::{AppOptions, SockscopeApp, default_workspace_file, restore_workspace};
pub use tab::Tab;

/// The window icon, from assets/.
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// Opens the window and runs until it is closed.
pub fn run(options: AppOptions) -> Result<(), eframe::Error> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Sockscope")
        .with_app_id(sockscope_app::APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 480.0]);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(icon);
    }
    let native = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        "Sockscope",
        native,
        Box::new(move |cc| {
            let mut options = options;
            if options.workspace_file.is_none() {
                options.workspace_file = default_workspace_file();
            }
            if options.restore.is_none() {
                options.restore = restore_workspace(options.workspace_file.as_deref(), cc.storage);
            }
            let app = SockscopeApp::new(&cc.egui_ctx, options)?;
            Ok(Box::new(app))
        }),
    )
}
