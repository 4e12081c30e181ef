// SHA-256 of the provenance checksums against the FIPS 180-4 / NIST example vectors, across
// block and padding boundaries, whole-block and byte-wise feeding, and a file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "output/provenance.hpp"

using namespace dcsim;

TEST_CASE("sha256 gives the NIST example digests") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 of a file equals sha256 of its bytes, for sizes around the block boundaries") {
  const auto dir = std::filesystem::temp_directory_path() / "dcsim-test-sha256";
  std::filesystem::create_directories(dir);
  for (std::size_t n : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 65535u, 65536u, 65600u, 200001u}) {
    INFO(n);
    std::string bytes(n, '\0');
    for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((i * 131 + 7) % 251);
    const auto path = dir / ("f" + std::to_string(n));
    { std::ofstream(path, std::ios::binary) << bytes; }
    CHECK(sha256_file(path.string()) == sha256_hex(bytes));
    CHECK(sha256_hex(bytes).size() == 64);
  }
  // One known value over a non-trivial length: 'a' x 1000 (digest computed independently with
  // Python's hashlib).
  CHECK(sha256_hex(std::string(1000, 'a')) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  std::filesystem::remove_all(dir);
}
