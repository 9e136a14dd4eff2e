//! Who is calling, for keys such as rate limits.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::{
    extract::ConnectInfo,
    http::{HeaderName, header, request::Parts},
};

/// The client's rate-limit key: its address from the trusted proxy's header when one is
/// configured, else from the connection. An IPv6 client is keyed by its /64 (one host
/// commonly holds a whole /64, and could otherwise pick a fresh address per request).
pub(crate) fn of(parts: &Parts, proxy_header: Option<&HeaderName>) -> String {
    let forwarded = proxy_header.and_then(|name| last_hop(parts, name));
    let address = forwarded.or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip()));
    match address {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let network = u128::from(v6) & !((1_u128 << 64) - 1);
            format!("{}/64", Ipv6Addr::from(network))
        }
        Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or_else(String::new, |v4| v4.to_string()),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => "unknown".to_owned(),
    }
}

/// The address the trusted proxy appended: the last entry of the header's *last* line. A
/// proxy that appends a line of its own (HAProxy's `option forwardfor`) leaves the client's
/// lines before it, which the client may have written. `Forwarded` (RFC 7239) is read by its
/// `for=` parameter.
fn last_hop(parts: &Parts, name: &HeaderName) -> Option<IpAddr> {
    let line = parts.headers.get_all(name).iter().next_back()?.to_str().ok()?;
    let entry = line.rsplit(',').map(str::trim).find(|entry| !entry.is_empty())?;
    let node = if name == header::FORWARDED {
        entry.split(';').map(str::trim).find_map(|pair| pair.strip_prefix("for=").or(pair.strip_prefix("For=")))?
    } else {
        entry
    };
    parse_node(node.trim_matches('"'))
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    node.parse::<SocketAddr>().ok().map(|address| address.ip())
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, Request};

    use super::*;

    fn parts(header: &str, lines: &[&str]) -> Parts {
        let mut request = Request::new(());
        for line in lines {
            request
                .headers_mut()
                .append(HeaderName::from_bytes(header.as_bytes()).unwrap(), HeaderValue::from_str(line).unwrap());
        }
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 5000))));
        request.into_parts().0
    }

    #[test]
    fn the_last_hop_of_the_last_line_counts() {
        let xff = HeaderName::from_static("x-forwarded-for");
        let spoofed = parts("x-forwarded-for", &["6.6.6.6", "203.0.113.7"]);
        assert_eq!(of(&spoofed, Some(&xff)), "203.0.113.7", "a client's own line is not trusted");
        assert_eq!(of(&parts("x-forwarded-for", &["6.6.6.6, 203.0.113.8"]), Some(&xff)), "203.0.113.8");
        assert_eq!(of(&parts("x-forwarded-for", &[]), Some(&xff)), "10.0.0.1", "the connection without the header");
        assert_eq!(of(&parts("x-forwarded-for", &["6.6.6.6"]), None), "10.0.0.1", "a header not configured is ignored");
        let forwarded = header::FORWARDED;
        let rfc = parts("forwarded", &["for=6.6.6.6", "for=\"[2001:db8:cafe::17]:4711\";proto=https"]);
        assert_eq!(of(&rfc, Some(&forwarded)), "2001:db8:cafe::/64");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let xff = HeaderName::from_static("x-forwarded-for");
        let one = of(&parts("x-forwarded-for", &["2001:db8:1:2:aaaa::1"]), Some(&xff));
        let other = of(&parts("x-forwarded-for", &["2001:db8:1:2:bbbb::9"]), Some(&xff));
        assert_eq!((one.as_str(), other.as_str()), ("2001:db8:1:2::/64", "2001:db8:1:2::/64"));
        assert_eq!(of(&parts("x-forwarded-for", &["::ffff:192.0.2.5"]), Some(&xff)), "192.0.2.5");
    }
}
