//! A SOCKS5 client (RFC 1928, with RFC 1929 username/password): opens a TCP tunnel to a
//! host through the proxy. `socks5h://` lets the proxy resolve the name; `socks5://`
//! resolves it here first, as curl does.

use std::net::IpAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0x00;
const USER_PASS: u8 = 0x02;
const NO_ACCEPTABLE: u8 = 0xff;

/// Why a SOCKS5 tunnel could not be opened, in words.
#[derive(Debug)]
pub(crate) enum Socks5Error {
    /// The proxy could not be read from or written to.
    Io(std::io::Error),
    /// The target's name did not resolve here (`socks5://`).
    Dns(String),
    /// The proxy asked for credentials we do not have, or refused them.
    Auth(String),
    /// The proxy answered, but not with a tunnel.
    Refused(String),
}

impl From<std::io::Error> for Socks5Error {
    fn from(error: std::io::Error) -> Self {
        Socks5Error::Io(error)
    }
}

/// Asks the proxy at the other end of `tcp` for a tunnel to `host:port`; on success `tcp`
/// carries the tunnel. `remote_dns` sends the name for the proxy to resolve.
pub(crate) async fn handshake(
    tcp: &mut TcpStream,
    host: &str,
    port: u16,
    credentials: Option<(&str, &str)>,
    remote_dns: bool,
) -> Result<(), Socks5Error> {
    let methods: &[u8] = if credentials.is_some() {
        &[NO_AUTH, USER_PASS]
    } else {
        &[NO_AUTH]
    };
    let mut greeting = vec![VERSION, methods.len() as u8];
    greeting.extend_from_slice(methods);
    tcp.write_all(&greeting).await?;
    let mut choice = [0u8; 2];
    tcp.read_exact(&mut choice).await?;
    if choice[0] != VERSION {
        return Err(Socks5Error::Refused(format!(
            "it does not speak SOCKS5 (version byte {})",
            choice[0]
        )));
    }
    match (choice[1], credentials) {
        (NO_AUTH, _) => {}
        (USER_PASS, Some((user, password))) => authenticate(tcp, user, password).await?,
        (USER_PASS, None) | (NO_ACCEPTABLE, None) => {
            return Err(Socks5Error::Auth(
                "it requires a username and password: put user:password in the proxy URL".into(),
            ));
        }
        (NO_ACCEPTABLE, Some(_)) => {
            return Err(Socks5Error::Auth(
                "it accepts no authentication method we offer".into(),
            ));
        }
        (other, _) => {
            return Err(Socks5Error::Refused(format!(
                "it chose an authentication method we did not offer ({other})"
            )));
        }
    }
    tcp.write_all(&connect_request(host, port, remote_dns).await?)
        .await?;
    read_reply(tcp).await
}

async fn authenticate(tcp: &mut TcpStream, user: &str, password: &str) -> Result<(), Socks5Error> {
    let (user, password) = (user.as_bytes(), password.as_bytes());
    if user.len() > 255 || password.len() > 255 {
        return Err(Socks5Error::Auth(
            "the username and password must be at most 255 bytes each".into(),
        ));
    }
    let mut request = vec![1, user.len() as u8];
    request.extend_from_slice(user);
    request.push(password.len() as u8);
    request.extend_from_slice(password);
    tcp.write_all(&request).await?;
    let mut status = [0u8; 2];
    tcp.read_exact(&mut status).await?;
    if status[1] != 0 {
        return Err(Socks5Error::Auth(
            "it refused the username and password".into(),
        ));
    }
    Ok(())
}

async fn connect_request(host: &str, port: u16, remote_dns: bool) -> Result<Vec<u8>, Socks5Error> {
    let mut request = vec![VERSION, 1, 0];
    let address = match host.parse::<IpAddr>() {
        Ok(ip) => Some(ip),
        Err(_) if remote_dns => None,
        Err(_) => {
            // One address goes to the proxy: an IPv4 one when there is one (what most
            // servers listen on), as curl does.
            let found: Vec<IpAddr> = tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| Socks5Error::Dns(format!("could not resolve {host}: {e}")))?
                .map(|addr| addr.ip())
                .collect();
            let chosen = found.iter().find(|ip| ip.is_ipv4()).or(found.first());
            Some(*chosen.ok_or_else(|| Socks5Error::Refused(format!("{host} has no address")))?)
        }
    };
    match address {
        Some(IpAddr::V4(ip)) => {
            request.push(1);
            request.extend_from_slice(&ip.octets());
        }
        Some(IpAddr::V6(ip)) => {
            request.push(4);
            request.extend_from_slice(&ip.octets());
        }
        None => {
            let name = host.as_bytes();
            if name.len() > 255 {
                return Err(Socks5Error::Refused(format!("{host} is too long a name")));
            }
            request.push(3);
            request.push(name.len() as u8);
            request.extend_from_slice(name);
        }
    }
    request.extend_from_slice(&port.to_be_bytes());
    Ok(request)
}

/// Reads the CONNECT reply, including its bound address, so nothing of the tunnel is
/// consumed.
async fn read_reply(tcp: &mut TcpStream) -> Result<(), Socks5Error> {
    let mut head = [0u8; 4];
    tcp.read_exact(&mut head).await?;
    if head[1] != 0 {
        return Err(Socks5Error::Refused(reply_meaning(head[1]).into()));
    }
    let address_len = match head[3] {
        1 => 4,
        4 => 16,
        3 => usize::from(tcp.read_u8().await?),
        other => {
            return Err(Socks5Error::Refused(format!(
                "its reply has an unknown address type ({other})"
            )));
        }
    };
    let mut rest = vec![0u8; address_len + 2];
    tcp.read_exact(&mut rest).await?;
    Ok(())
}

/// RFC 1928's reply codes, in words.
fn reply_meaning(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by its rules",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused by the destination",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "an unknown failure",
    }
}
