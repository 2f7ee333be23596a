//! A NAS written with the countersign-radius crate over a tokio UDP socket:
//! for what radclient cannot do (send from a chosen loopback address, the
//! same datagram several times, a request without Message-Authenticator,
//! raw malformed bytes).

use std::net::SocketAddr;
use std::time::Duration;

use countersign_radius::{
    attr, encode_access_request, hide_password, verify_response, Attribute, Code, Packet,
};
use tokio::net::UdpSocket;

pub struct Nas {
    socket: UdpSocket,
    server: SocketAddr,
    secret: Vec<u8>,
}

impl Nas {
    /// A socket on `local_ip` (any 127.x.y.z works on Linux) that talks to
    /// the server at 127.0.0.1:`server_port` with `secret`.
    pub async fn bind(local_ip: &str, server_port: u16, secret: &str) -> Nas {
        let socket = UdpSocket::bind(format!("{local_ip}:0"))
            .await
            .unwrap_or_else(|e| panic!("bind a UDP socket on {local_ip}: {e}"));
        Nas {
            socket,
            server: SocketAddr::from(([127, 0, 0, 1], server_port)),
            secret: secret.as_bytes().to_vec(),
        }
    }

    /// An Access-Request (Message-Authenticator first, User-Name, `extra`,
    /// the hidden User-Password) and its Request Authenticator.
    pub fn request(
        &self,
        id: u8,
        user: &str,
        password: &str,
        extra: Vec<Attribute>,
    ) -> (Vec<u8>, [u8; 16]) {
        let mut attributes = vec![Attribute::new(attr::USER_NAME, user)];
        attributes.extend(extra);
        encode_access_request(id, attributes, Some(password.as_bytes()), &self.secret)
            .expect("encode an Access-Request")
    }

    /// An Access-Request as old equipment sends it: no Message-Authenticator.
    pub fn request_without_message_authenticator(
        &self,
        id: u8,
        user: &str,
        password: &str,
    ) -> (Vec<u8>, [u8; 16]) {
        let authenticator: [u8; 16] = rand::random();
        let mut packet = Packet::new(Code::AccessRequest, id, authenticator);
        packet.add(attr::USER_NAME, user);
        let hidden = hide_password(password.as_bytes(), &self.secret, &authenticator)
            .expect("hide the password");
        packet.add(attr::USER_PASSWORD, hidden);
        (packet.encode().expect("encode"), authenticator)
    }

    pub async fn send(&self, datagram: &[u8]) {
        self.socket
            .send_to(datagram, self.server)
            .await
            .expect("send a datagram to the server");
    }

    /// The next datagram from the server, or None after `wait`.
    pub async fn receive(&self, wait: Duration) -> Option<Vec<u8>> {
        let mut buffer = vec![0u8; 65_536];
        loop {
            let received = tokio::time::timeout(wait, self.socket.recv_from(&mut buffer)).await;
            match received {
                Err(_) => return None,
                Ok(Ok((len, from))) if from == self.server => return Some(buffer[..len].to_vec()),
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => panic!("receive from the server: {e}"),
            }
        }
    }

    /// A datagram already waiting, without waiting for one.
    pub fn try_receive(&self) -> Option<Vec<u8>> {
        let mut buffer = vec![0u8; 65_536];
        match self.socket.try_recv_from(&mut buffer) {
            Ok((len, _)) => Some(buffer[..len].to_vec()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
            Err(e) => panic!("receive from the server: {e}"),
        }
    }

    /// Sends `request` and returns the verified answer; panics when none
    /// comes within `wait` or it fails verification.
    pub async fn ask(&self, request: &(Vec<u8>, [u8; 16]), wait: Duration) -> Packet {
        self.send(&request.0).await;
        let raw = self
            .receive(wait)
            .await
            .unwrap_or_else(|| panic!("no answer from the server within {wait:?}"));
        self.check(&raw, &request.1)
    }

    /// Verifies an answer (Response Authenticator, Message-Authenticator)
    /// to the request with `authenticator`.
    #[track_caller]
    pub fn check(&self, raw: &[u8], authenticator: &[u8; 16]) -> Packet {
        let packet = verify_response(raw, authenticator, &self.secret)
            .unwrap_or_else(|e| panic!("the answer fails verification: {e}"));
        assert!(
            packet.attr(attr::MESSAGE_AUTHENTICATOR).is_some(),
            "every answer carries a Message-Authenticator (BlastRADIUS): {packet:?}"
        );
        packet
    }
}

/// The Reply-Message of a packet, as text ("" when absent).
pub fn reply_message(packet: &Packet) -> String {
    packet.text(attr::REPLY_MESSAGE).unwrap_or_default()
}
