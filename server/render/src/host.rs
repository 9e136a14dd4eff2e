//! What the engine provides to the bundle beyond the language: `console` into the server's
//! log, and timers that never fire (a server render finishes on promise jobs alone; a render
//! that waits for a timer is reported as stalled rather than hanging a worker).

use rquickjs::{Ctx, Function, Object, Result};

pub(crate) fn install(ctx: &Ctx<'_>) -> Result<()> {
    let globals = ctx.globals();
    let console = Object::new(ctx.clone())?;
    console.set(
        "debug",
        Function::new(ctx.clone(), |message: String| tracing::debug!(target: "render::js", "{message}"))?,
    )?;
    console
        .set("log", Function::new(ctx.clone(), |message: String| tracing::info!(target: "render::js", "{message}"))?)?;
    console.set(
        "info",
        Function::new(ctx.clone(), |message: String| tracing::info!(target: "render::js", "{message}"))?,
    )?;
    console.set(
        "warn",
        Function::new(ctx.clone(), |message: String| tracing::warn!(target: "render::js", "{message}"))?,
    )?;
    console.set(
        "error",
        Function::new(ctx.clone(), |message: String| tracing::error!(target: "render::js", "{message}"))?,
    )?;
    globals.set("console", console)?;
    ctx.eval::<(), _>(TIMERS)?;
    Ok(())
}

/// Timers return ids as browsers do, and never call back.
const TIMERS: &str = r"
(() => {
  let next = 1;
  const timer = () => next++;
  const cancel = () => {};
  Object.assign(globalThis, { setTimeout: timer, setInterval: timer, clearTimeout: cancel, clearInterval: cancel });
})();
";
