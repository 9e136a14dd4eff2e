//! A stress fixture for the scale of the bindings: 1,000 procedures (100 domains of ten, seven
//! queries and three mutations each) over 100 input types and their generic pages — the
//! size at which tRPC users report their editor slowing down. It is only exported, never
//! served: `tests/type_scale.rs` type-checks calls against it and `benches/type_scale.rs`
//! prints how long exporting and type-checking take.

use std::{io, path::Path};

use isthmus_rpc::{self as rpc, Never};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::Ctx;

/// Procedures per domain; the first [`QUERIES`] of each are queries, the rest mutations.
pub const PER_DOMAIN: usize = 10;
/// Queries per domain.
pub const QUERIES: usize = 7;
/// Domains: one per input type.
pub const DOMAINS: usize = 100;

/// One page of results, generic over what was asked: the output of every procedure.
#[derive(Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    items: Vec<Row<T>>,
    next: Option<String>,
}

/// A result with the input that produced it.
#[derive(Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Row<T> {
    position: u32,
    label: String,
    input: T,
}

async fn answer<T: Clone + Serialize + Send>(_: Ctx, input: T) -> Result<Page<T>, Never> {
    Ok(Page { items: vec![Row { position: 0, label: "only".into(), input }], next: None })
}

macro_rules! shapes {
    ($($shape:ident),*) => {
        $(
            /// The input of one domain's procedures.
            #[derive(Clone, Deserialize, Serialize, Type)]
            #[serde(rename_all = "camelCase")]
            pub struct $shape {
                id: u32,
                search: Option<String>,
                tags: Vec<String>,
                include_drafts: bool,
            }
        )*

        /// Registers a domain's procedures for input type number `index`.
        fn domain(router: rpc::Router<Ctx>, index: usize) -> rpc::Router<Ctx> {
            let registrations: [fn(rpc::Router<Ctx>, &'static str, bool) -> rpc::Router<Ctx>; DOMAINS] = [$(
                |router, name, query| {
                    if query { router.query(name, answer::<$shape>) } else { router.mutation(name, answer::<$shape>) }
                }
            ),*];
            (0..PER_DOMAIN).fold(router, |router, procedure| {
                registrations[index](router, procedure_name(index, procedure), procedure < QUERIES)
            })
        }
    };
}

shapes!(
    Shape00, Shape01, Shape02, Shape03, Shape04, Shape05, Shape06, Shape07, Shape08, Shape09, Shape10, Shape11,
    Shape12, Shape13, Shape14, Shape15, Shape16, Shape17, Shape18, Shape19, Shape20, Shape21, Shape22, Shape23,
    Shape24, Shape25, Shape26, Shape27, Shape28, Shape29, Shape30, Shape31, Shape32, Shape33, Shape34, Shape35,
    Shape36, Shape37, Shape38, Shape39, Shape40, Shape41, Shape42, Shape43, Shape44, Shape45, Shape46, Shape47,
    Shape48, Shape49, Shape50, Shape51, Shape52, Shape53, Shape54, Shape55, Shape56, Shape57, Shape58, Shape59,
    Shape60, Shape61, Shape62, Shape63, Shape64, Shape65, Shape66, Shape67, Shape68, Shape69, Shape70, Shape71,
    Shape72, Shape73, Shape74, Shape75, Shape76, Shape77, Shape78, Shape79, Shape80, Shape81, Shape82, Shape83,
    Shape84, Shape85, Shape86, Shape87, Shape88, Shape89, Shape90, Shape91, Shape92, Shape93, Shape94, Shape95,
    Shape96, Shape97, Shape98, Shape99
);

/// The name of procedure `procedure` of domain `domain`: `domain07.call3`. Leaked: procedure
/// names are `&'static str`, and the fixture lives as long as the process.
fn procedure_name(domain: usize, procedure: usize) -> &'static str {
    Box::leak(name(domain, procedure).into_boxed_str())
}

fn name(domain: usize, procedure: usize) -> String {
    format!("domain{domain:02}.call{procedure}")
}

/// All 1,000 procedures.
pub fn router() -> rpc::Router<Ctx> {
    (0..DOMAINS).fold(rpc::Router::new(), domain)
}

/// The compiler options of the type-checks over [`calls_typescript`]: the bindings' own.
const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM"],
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "verbatimModuleSyntax": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "noEmit": true,
    "types": []
  },
  "files": ["calls.ts"]
}
"#;

/// Writes a project for `tsc -p dir`: the router's `bindings` (`generated.ts`), `calls`
/// (`calls.ts`, see [`calls_typescript`]) and the bindings' compiler options.
pub fn write_project(dir: &Path, bindings: &str, calls: &str) -> io::Result<()> {
    std::fs::write(dir.join("generated.ts"), bindings)?;
    std::fs::write(dir.join("calls.ts"), calls)?;
    std::fs::write(dir.join("tsconfig.json"), TSCONFIG)
}

/// A TypeScript module that calls 100 of the procedures (the first of every domain, and a
/// mutation from every tenth) through the client runtime at `client`, and reads their
/// results; it type-checks against the router's bindings in `./generated`.
pub fn calls_typescript(client: &str) -> String {
    let mut calls = String::new();
    for domain in 0..DOMAINS {
        let (kind, procedure) = if domain % 10 == 0 { ("mutation", QUERIES) } else { ("query", 0) };
        calls.push_str(&format!(
            "  const page{domain} = await client.{kind}(\"{}\", {{ id: {domain}, search: null, tags: [\"t\"], includeDrafts: false }});\n  \
             total += page{domain}.items[0]?.input.id ?? 0;\n",
            name(domain, procedure),
        ));
    }
    format!(
        "import {{ createClient }} from \"{client}\";\n\
         import type {{ Procedures }} from \"./generated\";\n\n\
         const client = createClient<Procedures>({{ url: \"http://127.0.0.1/rpc\" }});\n\n\
         export async function callHundred(): Promise<number> {{\n  let total = 0;\n{calls}  return total;\n}}\n"
    )
}
