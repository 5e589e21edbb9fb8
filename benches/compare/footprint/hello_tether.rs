fn main() {
    tether::run(async {
        tether::time::sleep(std::time::Duration::from_millis(1)).await;
        println!("hello");
    });
}
