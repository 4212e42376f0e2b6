//! Loopback ports: is IPv6 loopback usable, which port is free, wait for a listener.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// First port a lab tries (`lab up`, `lab v3-up`).
pub const PORT_BASE: u16 = 28480;

/// Whether `[::1]` can be bound (IPv6 loopback configured).
pub fn ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// Whether `port` can be bound on 127.0.0.1 (and on [::1] when `ipv6`).
pub fn port_free(port: u16, ipv6: bool) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok() && (!ipv6 || TcpListener::bind(format!("[::1]:{port}")).is_ok())
}

/// The first free port >= `base` (on both loopbacks when `ipv6`), skipping `taken`.
pub fn pick_port(base: u16, ipv6: bool, taken: &[u16]) -> Result<u16, String> {
    (base..base.saturating_add(500))
        .find(|port| !taken.contains(port) && port_free(*port, ipv6))
        .ok_or_else(|| format!("no free port in {base}..{}", base.saturating_add(500)))
}

/// Whether something accepts connections on `addr`.
pub fn port_open(addr: &str) -> bool {
    addr.parse::<SocketAddr>().is_ok_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok())
}

/// Waits up to `timeout` for a listener on `addr`.
pub fn wait_port(addr: &str, timeout: Duration) -> bool {
    super::procs::wait_until(timeout, Duration::from_millis(100), || port_open(addr))
}
