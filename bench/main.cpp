// loa-bench: Loa's benchmarks. They print numbers; targets live in their docs, not in tests.

#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "SrtpBench.hpp"

namespace {
constexpr const char* kUsage = R"(usage:
  loa-bench srtp [--sessions 1,100,1000,10000] [--seconds-per-point 1.5] [--json FILE]
      CPU per srtp_protect (172-byte packets, AES_CM_128_HMAC_SHA1_80) and memory per session,
      for Loa's OpenSSL libsrtp and Debian's NSS libsrtp2 in the same run
)";

std::vector<size_t> parseList(const std::string& text) {
    std::vector<size_t> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        out.push_back(std::stoul(item));
    return out;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "srtp") != 0) {
        std::fputs(kUsage, argc < 2 ? stdout : stderr);
        return argc < 2 ? 0 : 2;
    }
    std::vector<size_t> sessions = {1, 100, 1000, 10000};
    double seconds = 1.5;
    std::string json;
    try {
        for (int i = 2; i < argc; ++i) {
            const std::string a = argv[i];
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            if (a == "--sessions")
                sessions = parseList(argv[++i]);
            else if (a == "--seconds-per-point")
                seconds = std::stod(argv[++i]);
            else if (a == "--json")
                json = argv[++i];
            else
                throw std::invalid_argument("unknown argument " + a);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loa-bench: %s\n%s", e.what(), kUsage);
        return 2;
    }
    return loa::bench::runSrtpBench(sessions, seconds, json);
}
