// A deterministic stand-in for libFuzzer's driver, for builds without
// clang: runs LLVMFuzzerTestOneInput on every file of the corpus
// directories given, then on mutations of them (bit flips, byte changes,
// insertions, deletions, duplicated runs, splices of two inputs, UTF-8
// and YAML/JSON tokens) from a fixed seed, until -runs or
// -max_total_time is reached. It accepts libFuzzer's flags of those names
// (and -seed), so the same command line runs either driver. No coverage
// guidance: it finds what a careless or hostile input finds, not what
// libFuzzer's search would.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace {

namespace fs = std::filesystem;

const char* const kTokens[] = {"\xc3\xa9",
                               "\xff",
                               "\xc3",
                               "\xe2\x82",
                               "\xf4\x90\x80\x80",
                               "\xed\xa0\x80",
                               "\n",
                               ": ",
                               "- ",
                               "{",
                               "}",
                               "[",
                               "]",
                               "\"",
                               "'",
                               "&a",
                               "*a",
                               "!!binary",
                               "null",
                               "true",
                               "-1",
                               "99999999999999999999",
                               "1e309",
                               "0x1f",
                               "{{",
                               "%",
                               "\\u0000",
                               "apiVersion",
                               "metadata",
                               "labels",
                               "status",
                               "conditions",
                               "spec"};

std::string Mutate(const std::string& base, const std::vector<std::string>& all,
                   std::mt19937_64& rng) {
  std::string s = base;
  auto pick = [&](size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  int steps = 1 + static_cast<int>(pick(4));
  for (int i = 0; i < steps; ++i) {
    size_t at = pick(s.size() + 1);
    switch (pick(7)) {
      case 0:
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
        break;
      case 2:
        s.insert(at, 1, static_cast<char>(pick(256)));
        break;
      case 3:
        if (!s.empty()) s.erase(pick(s.size()), 1 + pick(16));
        break;
      case 4: {
        if (s.empty()) break;
        size_t from = pick(s.size());
        std::string run = s.substr(from, 1 + pick(32));
        s.insert(at, run);
        break;
      }
      case 5: {
        const std::string& other = all[pick(all.size())];
        s = s.substr(0, at) + other.substr(pick(other.size() + 1));
        break;
      }
      default:
        s.insert(at, kTokens[pick(sizeof(kTokens) / sizeof(kTokens[0]))]);
    }
  }
  if (s.size() > 1 << 16) s.resize(1 << 16);
  return s;
}

// The input being run, for the crash handler to save.
const std::string* current = nullptr;

// On a crash (an escaping exception ends in SIGABRT): the input goes to
// ./crash-input, as libFuzzer writes crash-<sha1>, then the signal is
// raised again. write(2) only: we are in a signal handler.
void SaveCrash(int sig) {
  if (current != nullptr) {
    int fd = open("crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      (void)!write(fd, current->data(), current->size());
      close(fd);
    }
    const char note[] =
        "fallback fuzzer: crashing input saved to crash-input\n";
    (void)!write(2, note, sizeof(note) - 1);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void Run(const std::string& input) {
  current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
  current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = -1;
  double max_seconds = 10;
  uint64_t seed = 1;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("-runs=", 0) == 0) {
      runs = std::stol(arg.substr(6));
    } else if (arg.rfind("-max_total_time=", 0) == 0) {
      max_seconds = std::stod(arg.substr(16));
    } else if (arg.rfind("-seed=", 0) == 0) {
      seed = std::stoull(arg.substr(6));
    } else if (arg.rfind("-", 0) == 0) {
      continue;  // other libFuzzer flags mean nothing here
    } else if (fs::is_directory(arg)) {
      for (const auto& entry : fs::directory_iterator(arg)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        corpus.push_back(text.str());
      }
    }
  }
  if (corpus.empty()) corpus.push_back("");
  for (int sig : {SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL}) {
    signal(sig, SaveCrash);
  }
  const auto start = std::chrono::steady_clock::now();
  long done = 0;
  for (const std::string& input : corpus) {
    Run(input);
    ++done;
  }
  std::mt19937_64 rng(seed);
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  while ((runs < 0 || done < runs) && elapsed() < max_seconds) {
    Run(Mutate(corpus[done % corpus.size()], corpus, rng));
    ++done;
  }
  std::printf(
      "fallback fuzzer: %ld runs in %.1f s, %zu corpus inputs, seed %llu\n",
      done, elapsed(), corpus.size(), static_cast<unsigned long long>(seed));
  return 0;
}
