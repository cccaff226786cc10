#[guillotine::main]
async fn main() -> Result<(), String> {
    let n: u32 = 5;
    n
}
