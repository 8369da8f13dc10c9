//! A host reached over SSH: `sftp://press@host.example.org/var/www/press`. The system's ssh
//! does the connecting, so the SSH agent, ~/.ssh and ~/.ssh/config work as they do for
//! `ssh` itself, and an unknown host key is refused.

use opendal::Operator;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sftp {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub path: String,
}

/// Reads what follows `sftp://`.
pub(super) fn parse(rest: &str) -> Result<Sftp, String> {
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((user, hostport)) => {
            if user.contains(':') {
                return Err("a password cannot be written in site.yaml: use an SSH key (from the SSH agent, ~/.ssh, or the file BRIEFING_SSH_KEY names)".into());
            }
            (Some(user.to_string()), hostport)
        }
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || port.parse::<u16>().is_ok() => (
            host,
            Some(
                port.parse::<u16>()
                    .map_err(|_| format!("`{port}` is not a port number"))?,
            ),
        ),
        _ => (hostport, None),
    };
    if host.is_empty() {
        return Err("the host is missing: sftp://press@host.example.org/var/www/press".into());
    }
    Ok(Sftp {
        user,
        host: host.to_string(),
        port,
        path: format!("/{path}"),
    })
}

impl Sftp {
    /// `ssh://host:port`, as ssh takes it.
    pub fn endpoint(&self) -> String {
        match self.port {
            Some(port) => format!("ssh://{}:{port}", self.host),
            None => format!("ssh://{}", self.host),
        }
    }

    pub(super) fn open(&self) -> opendal::Result<Operator> {
        let mut builder = opendal::services::Sftp::default()
            .endpoint(&self.endpoint())
            .root(&self.path)
            .known_hosts_strategy("strict");
        if let Some(user) = &self.user {
            builder = builder.user(user);
        }
        if let Some(key) = std::env::var_os("BRIEFING_SSH_KEY") {
            builder = builder.key(&key.to_string_lossy());
        }
        Operator::new(builder)
    }

    /// Why the system's ssh could not connect, from what it said (ssh reports it in words
    /// only), and what to do: an unknown or changed host key, a key the host refused, a host
    /// out of reach; or a host whose disk is full.
    pub(super) fn explain(&self, e: &opendal::Error) -> Option<(String, String)> {
        let text = format!("{e:?}");
        let said = |words: &[&str]| words.iter().any(|w| text.contains(w));
        let host = match self.port {
            Some(port) => format!("-p {port} {}", self.host),
            None => self.host.clone(),
        };
        let (why, help) = if said(&[
            "Host key verification failed",
            "REMOTE HOST IDENTIFICATION HAS CHANGED",
            "No ED25519 host key is known",
            "host key is known",
        ]) {
            (
                "the host's key is not in ~/.ssh/known_hosts, or it changed",
                format!(
                    "ask the host's administrator for its key fingerprint, compare it with the one `ssh-keyscan {host} | ssh-keygen -lf -` shows, and only if they match add the key: ssh-keyscan {host} >> ~/.ssh/known_hosts"
                ),
            )
        } else if said(&["Permission denied", "Too many authentication failures"]) {
            (
                "the host did not accept any of the SSH keys offered",
                "check the user in the target's url, and that the host has your public key in ~/.ssh/authorized_keys; a key is taken from the SSH agent, from ~/.ssh, or from the file BRIEFING_SSH_KEY names".to_string(),
            )
        } else if said(&[
            "Could not resolve hostname",
            "Connection refused",
            "Connection timed out",
            "No route to host",
            "Network is unreachable",
        ]) {
            (
                "the host cannot be reached",
                format!(
                    "check the host name and port in the target's url and your network connection: `ssh {host}` should connect"
                ),
            )
        } else if said(&["No space left on device", "Disk quota exceeded"]) {
            return Some(super::full());
        } else {
            return None;
        };
        Some((why.to_string(), help))
    }
}
