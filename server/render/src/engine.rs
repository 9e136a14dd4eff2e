//! The JavaScript engine: QuickJS workers, each on its own thread with one runtime and one
//! context (a QuickJS runtime is not `Send`), fed by a bounded queue.
//!
//! The bundle is compiled to bytecode once, at start-up; every worker loads that bytecode.
//! A render runs under an interrupt deadline and a memory limit. A worker whose render threw,
//! ran out of time or out of memory is rebuilt from the bytecode before its next render: no
//! state of a failed render survives.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
        mpsc::{self, Receiver, SyncSender, TrySendError},
    },
    thread,
    time::{Duration, Instant},
};

use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Function, Module, Object, Persistent, Promise, Runtime, WriteOptions,
};
use tokio::sync::oneshot;

/// How the workers run.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Worker threads, each with its own QuickJS runtime.
    pub workers: usize,
    /// Renders waiting for a worker; more are refused as [`RenderError::Overloaded`].
    pub queue: usize,
    /// The most memory one worker's runtime may allocate, in bytes.
    pub memory_limit: usize,
    /// The longest one render step may run before it is interrupted.
    pub deadline: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            workers: thread::available_parallelism().map_or(1, usize::from),
            queue: 256,
            memory_limit: 64 * 1024 * 1024,
            deadline: Duration::from_secs(1),
        }
    }
}

/// Why the engine could not start: the bundle does not load, or lacks the contract's exports.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Compiling or evaluating the bundle failed (a syntax error, a throw at load).
    #[error("the server bundle does not load: {0}")]
    Load(String),
    /// The bundle loads but does not export `render` and `pendingQueries` functions.
    #[error("the server bundle does not export `{0}` as a function")]
    MissingExport(&'static str),
    /// A worker thread could not be started.
    #[error("cannot start a render worker: {0}")]
    Thread(#[from] std::io::Error),
}

/// Why one render step failed. The worker that failed is rebuilt; the caller falls back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The bundle threw, or its render promise rejected.
    #[error("the render threw: {0}")]
    Threw(String),
    /// The render ran past the deadline and was interrupted.
    #[error("the render exceeded its deadline")]
    Deadline,
    /// The render ran out of its runtime's memory.
    #[error("the render exceeded its memory limit")]
    Memory,
    /// The render neither finished nor asked for data: it waits for something that never
    /// comes in a server render (a timer, a fetch).
    #[error("the render stalled without asking for data")]
    Stalled,
    /// The bundle answered something its contract does not describe (JSON of another shape,
    /// an off-site redirect), or a query answered something that is not JSON.
    #[error("the render's answer breaks the contract: {0}")]
    Contract(String),
    /// Every worker is busy and the queue is full.
    #[error("every render worker is busy")]
    Overloaded,
    /// The engine is shutting down, or its workers are gone.
    #[error("the render engine stopped")]
    Stopped,
}

/// What one render step yields: the bundle's finished answer, or the queries it waits for.
/// Both are JSON text, read by `protocol`.
#[derive(Debug)]
pub(crate) enum Step {
    Done(String),
    Needs(String),
}

/// Render counts since start-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Render steps run to an answer (finished or asking for data).
    pub steps: u64,
    /// Render steps that failed (each rebuilt its worker).
    pub failures: u64,
    /// Renders refused because every worker was busy.
    pub refused: u64,
}

#[derive(Default)]
struct Counters {
    steps: AtomicU64,
    failures: AtomicU64,
    refused: AtomicU64,
}

struct Job {
    input: String,
    reply: oneshot::Sender<Result<Step, RenderError>>,
}

/// The pool of render workers. Cheap to clone; the workers stop when the last clone is
/// dropped.
#[derive(Clone)]
pub struct Engine {
    jobs: SyncSender<Job>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

/// The bundle's exports every render uses.
const RENDER: &str = "render";
const PENDING_QUERIES: &str = "pendingQueries";

impl Engine {
    /// Compiles `bundle` (an ES module exporting `render` and `pendingQueries`, see the crate
    /// documentation) and starts the workers; fails if the bundle does not load.
    pub fn start(bundle: &str, config: EngineConfig) -> Result<Self, EngineError> {
        let bytecode: Arc<[u8]> = compile(bundle)?.into();
        // Load it once here: a broken bundle stops start-up instead of every render.
        Worker::new(&bytecode, &config)?;
        let (jobs, queue) = mpsc::sync_channel(config.queue);
        let queue = Arc::new(Mutex::new(queue));
        let counters = Arc::new(Counters::default());
        for index in 0..config.workers.max(1) {
            let (bytecode, queue, config, counters) =
                (bytecode.clone(), queue.clone(), config.clone(), counters.clone());
            // QuickJS recurses on the thread's stack: give it room beyond its own limit.
            thread::Builder::new()
                .name(format!("render-{index}"))
                .stack_size(WORKER_STACK)
                .spawn(move || serve(&bytecode, &queue, &config, &counters))?;
        }
        Ok(Engine { jobs, counters })
    }

    /// Runs one render step with `input` (JSON text) on the next free worker.
    pub(crate) async fn step(&self, input: String) -> Result<Step, RenderError> {
        let (reply, answer) = oneshot::channel();
        match self.jobs.try_send(Job { input, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                return Err(RenderError::Overloaded);
            }
            Err(TrySendError::Disconnected(_)) => return Err(RenderError::Stopped),
        }
        answer.await.unwrap_or(Err(RenderError::Stopped))
    }

    /// Steps, failures and refusals since start-up.
    pub fn stats(&self) -> EngineStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        EngineStats {
            steps: read(&self.counters.steps),
            failures: read(&self.counters.failures),
            refused: read(&self.counters.refused),
        }
    }
}

const WORKER_STACK: usize = 16 * 1024 * 1024;
const JS_STACK: usize = 8 * 1024 * 1024;

/// A worker's loop: build the runtime, render until a render fails, rebuild.
fn serve(bytecode: &[u8], queue: &Mutex<Receiver<Job>>, config: &EngineConfig, counters: &Counters) {
    loop {
        let mut worker = match Worker::new(bytecode, config) {
            Ok(worker) => worker,
            Err(error) => {
                // It loaded at start-up: only exhaustion gets here. Stop this worker.
                tracing::error!(%error, "cannot rebuild a render worker");
                return;
            }
        };
        loop {
            let job = {
                let queue = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                match queue.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                }
            };
            // A panic in a host function fails this render and rebuilds the worker; it never
            // takes the thread, and with it a worker of the pool, down.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker.step(&job.input)))
                .unwrap_or_else(|_| Err(RenderError::Threw("a host function panicked".to_owned())));
            let failed = result.is_err();
            if failed {
                counters.failures.fetch_add(1, Ordering::Relaxed);
            } else {
                counters.steps.fetch_add(1, Ordering::Relaxed);
            }
            let _ = job.reply.send(result);
            if failed {
                break;
            }
        }
    }
}

/// When the running render must stop; checked by QuickJS's interrupt handler.
#[derive(Default)]
struct Deadline {
    at: Mutex<Option<Instant>>,
    passed: AtomicBool,
}

impl Deadline {
    fn arm(&self, at: Instant) {
        *self.at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(at);
        self.passed.store(false, Ordering::Relaxed);
    }

    fn disarm(&self) {
        *self.at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    /// Whether the deadline has passed (remembered until the next `arm`).
    fn check(&self) -> bool {
        let at = *self.at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if at.is_some_and(|at| Instant::now() >= at) {
            self.passed.store(true, Ordering::Relaxed);
        }
        self.passed.load(Ordering::Relaxed)
    }
}

/// One QuickJS runtime and context with the bundle loaded.
struct Worker {
    // Dropped in declaration order: the functions before their context (which holds the
    // runtime).
    render: Persistent<Function<'static>>,
    pending_queries: Persistent<Function<'static>>,
    context: Context,
    deadline: Arc<Deadline>,
    step_limit: Duration,
}

impl Worker {
    fn new(bytecode: &[u8], config: &EngineConfig) -> Result<Self, EngineError> {
        let load = |error: rquickjs::Error| EngineError::Load(error.to_string());
        let runtime = Runtime::new().map_err(load)?;
        runtime.set_max_stack_size(JS_STACK);
        let deadline = Arc::new(Deadline::default());
        let check = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || check.check())));
        let context = Context::full(&runtime).map_err(load)?;
        let (render, pending_queries) = context.with(|ctx| {
            crate::host::install(&ctx).catch(&ctx).map_err(|error| EngineError::Load(error.to_string()))?;
            let module = load_module(&ctx, bytecode)?;
            let export = |name: &'static str| -> Result<Persistent<Function<'static>>, EngineError> {
                let function: Function = module.get(name).map_err(|_| EngineError::MissingExport(name))?;
                Ok(Persistent::save(&ctx, function))
            };
            Ok::<_, EngineError>((export(RENDER)?, export(PENDING_QUERIES)?))
        })?;
        // Limit only once the bundle is loaded: its own size is not the render's to pay for.
        runtime.set_memory_limit(runtime.memory_usage().memory_used_size as usize + config.memory_limit);
        Ok(Worker { render, pending_queries, context, deadline, step_limit: config.deadline })
    }

    fn step(&mut self, input: &str) -> Result<Step, RenderError> {
        self.deadline.arm(Instant::now() + self.step_limit);
        let outcome = self.context.with(|ctx| {
            let render = self.render.clone().restore(&ctx).map_err(|error| RenderError::Threw(error.to_string()))?;
            let promise: Promise = render.call((input,)).catch(&ctx).map_err(threw)?;
            // Jobs are run here rather than by `Promise::finish`, which carries on past a job
            // that threw: a render that keeps queueing work would never end.
            loop {
                if let Some(done) = promise.result::<String>() {
                    return done.catch(&ctx).map(Step::Done).map_err(threw);
                }
                if self.deadline.check() {
                    return Err(RenderError::Deadline);
                }
                if !ctx.execute_pending_job() {
                    break;
                }
            }
            let pending =
                self.pending_queries.clone().restore(&ctx).map_err(|error| RenderError::Threw(error.to_string()))?;
            let needs: String = pending.call(()).catch(&ctx).map_err(threw)?;
            Ok(Step::Needs(needs))
        });
        self.deadline.disarm();
        if self.deadline.passed.load(Ordering::Relaxed) {
            return Err(RenderError::Deadline);
        }
        match outcome {
            Err(RenderError::Threw(message)) if message.contains("out of memory") => Err(RenderError::Memory),
            Ok(Step::Needs(needs)) if needs == "[]" => Err(RenderError::Stalled),
            outcome => outcome,
        }
    }
}

fn threw(error: CaughtError<'_>) -> RenderError {
    match error {
        CaughtError::Exception(exception) => {
            let message = exception.message().unwrap_or_default();
            let stack = exception.stack().unwrap_or_default();
            RenderError::Threw(format!("{message}\n{stack}").trim().to_owned())
        }
        CaughtError::Value(value) => RenderError::Threw(format!("{value:?}")),
        CaughtError::Error(error) => RenderError::Threw(error.to_string()),
    }
}

/// Compiles the bundle to bytecode in a runtime of its own.
fn compile(bundle: &str) -> Result<Vec<u8>, EngineError> {
    let load = |error: rquickjs::Error| EngineError::Load(error.to_string());
    let runtime = Runtime::new().map_err(load)?;
    let context = Context::full(&runtime).map_err(load)?;
    context.with(|ctx| {
        let module = Module::declare(ctx.clone(), "server.js", bundle)
            .catch(&ctx)
            .map_err(|error| EngineError::Load(error.to_string()))?;
        module.write(WriteOptions::default()).map_err(load)
    })
}

/// Loads and evaluates the bundle's bytecode; its namespace holds the exports.
fn load_module<'js>(ctx: &Ctx<'js>, bytecode: &[u8]) -> Result<Object<'js>, EngineError> {
    let failed = |error: CaughtError<'_>| EngineError::Load(error.to_string());
    // SAFETY: the bytes were written by `compile` in this process, by the same QuickJS build,
    // from a module that compiled; they are never read from anywhere else.
    #[allow(unsafe_code)]
    let declared = unsafe { Module::load(ctx.clone(), bytecode) }.catch(ctx).map_err(failed)?;
    let (module, evaluated) = declared.eval().catch(ctx).map_err(failed)?;
    evaluated.finish::<()>().catch(ctx).map_err(failed)?;
    module.namespace().catch(ctx).map_err(failed)
}
