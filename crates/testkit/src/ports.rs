//! Free loopback ports for peers and servers started by the tests.

/// A TCP port on 127.0.0.1 that nothing listens on right now (a small race:
/// use it at once; launchers that can tell a taken port retry on another).
pub fn free_port() -> u16 {
    try_free_port().unwrap_or_else(|e| panic!("no free TCP port on 127.0.0.1: {e}"))
}

/// [`free_port`], with the error instead of a panic.
pub fn try_free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .unwrap_or_else(|e| panic!("no free UDP port on 127.0.0.1: {e}"))
        .port()
}
