//! The load generator of the benchmarks: keep-alive connections on loopback, rounds of GETs,
//! latencies and the server's CPU time per request, and ratios taken cycle by cycle. Shared
//! by `rpc_overhead.rs` here and the app's benchmarks (included by path: a benchmark helper is
//! no part of the layer's API).

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub(crate) const CONNECTIONS: usize = 32;
pub(crate) const REQUESTS_PER_ROUND: usize = 16_000;
pub(crate) const CYCLES: usize = 25;

/// One keep-alive connection sending `count` GETs in sequence; returns each latency.
pub(crate) async fn connection(address: SocketAddr, path: &'static str, count: usize) -> Vec<Duration> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n");
    let mut buffer = Vec::with_capacity(4096);
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        stream.write_all(request.as_bytes()).await.unwrap();
        buffer.clear();
        loop {
            let read = stream.read_buf(&mut buffer).await.unwrap();
            assert!(read > 0, "server closed the connection");
            if let Some(length) = complete_response_length(&buffer) {
                assert!(buffer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buffer));
                assert_eq!(buffer.len(), length, "one response per request");
                break;
            }
        }
        latencies.push(started.elapsed());
    }
    latencies
}

/// The full length of the response in `buffer` once it has all arrived. One pass over the
/// head's lines on purpose: the load generator shares the machine with the server, and its
/// cost per request must neither limit the figures nor grow with the response's headers.
fn complete_response_length(buffer: &[u8]) -> Option<usize> {
    const NAME: &[u8] = b"content-length:";
    let mut line_start = 0;
    let mut body_length = None;
    for line in buffer.split(|&byte| byte == b'\n') {
        let line_end = line_start + line.len() + 1;
        if line_end > buffer.len() {
            return None;
        }
        if line == b"\r" {
            return body_length.and_then(|length| (buffer.len() >= line_end + length).then_some(line_end + length));
        }
        if line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME) {
            let digits = line[NAME.len()..].iter().skip_while(|b| **b == b' ').take_while(|b| b.is_ascii_digit());
            body_length = Some(digits.fold(0usize, |n, d| n * 10 + usize::from(d - b'0')));
        }
        line_start = line_end;
    }
    None
}

#[derive(Clone, Copy)]
pub(crate) struct Round {
    pub(crate) requests_per_second: f64,
    /// The server's CPU time per request (all its threads), for a second estimate of the
    /// throughput ratios that, unlike wall time, stalls of the load generator do not move.
    pub(crate) cpu_per_request: Duration,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
}

/// CPU time consumed so far by every thread of this process but the calling one (the load
/// generator runs on the main thread; everything else is the server), from
/// `/proc/self/task/*/schedstat`, in nanoseconds and excluding time stolen by the host.
fn server_cpu_time() -> Duration {
    let me = std::fs::read_link("/proc/thread-self").expect("Linux /proc");
    let me = me.file_name().expect("a thread id");
    let nanos = std::fs::read_dir("/proc/self/task")
        .expect("Linux /proc")
        .filter_map(Result::ok)
        .filter(|task| task.file_name() != me)
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

pub(crate) async fn round(address: SocketAddr, path: &'static str) -> Round {
    round_of(address, path, REQUESTS_PER_ROUND).await
}

/// A round of `requests` GETs of `path` over [`CONNECTIONS`] connections.
pub(crate) async fn round_of(address: SocketAddr, path: &'static str, requests: usize) -> Round {
    let started = Instant::now();
    let cpu_before = server_cpu_time();
    let tasks: Vec<_> =
        (0..CONNECTIONS).map(|_| tokio::spawn(connection(address, path, requests / CONNECTIONS))).collect();
    let mut latencies = Vec::with_capacity(requests);
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    // Saturating: a thread that exits during the round takes its time with it.
    let cpu = server_cpu_time().saturating_sub(cpu_before);
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Round {
        requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        cpu_per_request: cpu / latencies.len() as u32,
        p50: at(0.50),
        p99: at(0.99),
    }
}

pub(crate) fn median(mut rounds: Vec<Round>) -> Round {
    rounds.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    rounds.swap_remove(rounds.len() / 2)
}

/// `numerator / denominator` cycle by cycle, measured two ways: requests per second, and the
/// inverse ratio of server CPU per request. Each as median (lowest–highest).
pub(crate) fn ratio(numerator: &[Round], denominator: &[Round]) -> String {
    let summary = |ratio: &dyn Fn(&Round, &Round) -> f64| {
        let mut ratios: Vec<f64> = numerator.iter().zip(denominator).map(|(n, d)| ratio(n, d)).collect();
        ratios.sort_by(f64::total_cmp);
        format!("{:.3} ({:.3}–{:.3})", ratios[ratios.len() / 2], ratios[0], ratios[ratios.len() - 1])
    };
    let by_throughput = summary(&|n, d| n.requests_per_second / d.requests_per_second);
    let by_cpu = summary(&|n, d| d.cpu_per_request.as_secs_f64() / n.cpu_per_request.as_secs_f64());
    format!("{by_throughput:<22} by server CPU per request: {by_cpu}")
}

/// Runs `targets` (name, path) back to back for [`CYCLES`] cycles after a warm-up, and prints
/// the median round of each and the ratio of each target to the first, per cycle.
pub(crate) async fn compare(address: SocketAddr, title: &str, targets: &[(&str, &'static str)]) {
    let targets: Vec<_> = targets.iter().map(|&(name, path)| (name, address, path)).collect();
    compare_at(title, &targets).await;
}

/// [`compare`] for targets on different servers: (name, address, path).
pub(crate) async fn compare_at(title: &str, targets: &[(&str, SocketAddr, &'static str)]) {
    for &(_, address, path) in targets {
        round(address, path).await;
    }
    let mut rounds: Vec<Vec<Round>> = vec![Vec::new(); targets.len()];
    for _ in 0..CYCLES {
        for (target, &(_, address, path)) in rounds.iter_mut().zip(targets) {
            target.push(round(address, path).await);
        }
    }
    println!("\n{title} (median round of each target)");
    println!("{:<34} {:>12} {:>10} {:>10} {:>16}", "target", "requests/s", "p50", "p99", "server CPU/req");
    for ((name, _, _), target) in targets.iter().zip(&rounds) {
        let r = median(target.clone());
        println!(
            "{name:<34} {:>12.0} {:>10.1?} {:>10.1?} {:>16.2?}",
            r.requests_per_second, r.p50, r.p99, r.cpu_per_request
        );
    }
    println!("ratios per cycle, median (lowest–highest):");
    let (baseline, _, _) = targets[0];
    for ((name, _, _), target) in targets.iter().zip(&rounds).skip(1) {
        println!("{:<34} {}", format!("{name} / {baseline}:"), ratio(target, &rounds[0]));
    }
}

/// The resident memory of this process, in KiB (`VmRSS`).
pub(crate) fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("a number of kB")
}
