//! The server binary as a child process, on its own port, with its log kept in a file.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
};

use serde_json::Value;

pub struct ServerProcess {
    child: Child,
    pub url: String,
    /// What the server printed before its address (the demo author's password, in development).
    pub preamble: Vec<String>,
    log: PathBuf,
    _scratch: tempfile::TempDir,
}

impl ServerProcess {
    /// The server on `database_url`, in production mode, without a web build, with `env` on
    /// top (`ISTHMUS_ENV=development` seeds demo content); its log (stderr) at `RUST_LOG`
    /// (default `error`) goes to a file.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        let scratch = tempfile::tempdir().unwrap();
        let log = scratch.path().join("server.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_isthmus-server"));
        command
            .env("DATABASE_URL", database_url)
            .env("ISTHMUS_ADDRESS", "127.0.0.1:0")
            .env("ISTHMUS_WEB_DIR", scratch.path())
            .env("RUST_LOG", "error")
            .env("ISTHMUS_ENV", "production")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the server binary starts");
        // Development prints the demo author's password before the address.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut preamble = Vec::new();
        let url = loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                panic!("the server exited; log: {}", std::fs::read_to_string(&log).unwrap());
            }
            match line.trim().strip_prefix("listening on ") {
                Some(url) => break url.to_owned(),
                None => preamble.push(line.trim().to_owned()),
            }
        };
        ServerProcess { child, url, preamble, log, _scratch: scratch }
    }

    /// Kills the server at once (SIGKILL): no shutdown, no flushing.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// Calls `procedure` (a JSON body makes it a POST from the site's origin); the status and
    /// the JSON answer.
    pub async fn call(&self, procedure: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(procedure, body, None).await
    }

    /// [`call`](Self::call) with a `Cookie` header.
    pub async fn call_as(&self, procedure: &str, body: Option<Value>, cookie: Option<&str>) -> (u16, Value) {
        let url = format!("{}/rpc/{procedure}", self.url);
        let mut request = match body {
            Some(body) => reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .header("origin", &self.url)
                .body(body.to_string()),
            None => reqwest::Client::new().get(url),
        };
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// The confirmed readers this process counts.
    pub async fn count(&self) -> u64 {
        self.call("newsletter.stats", None).await.1["subscriberCount"].as_u64().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
