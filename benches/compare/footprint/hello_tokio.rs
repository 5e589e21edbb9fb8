fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        println!("hello");
    });
}
