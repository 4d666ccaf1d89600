// SPDX-License-Identifier: Apache-2.0
// A main() for fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput once on every
// file named on the command line (directories: every file inside, not recursive). Lets
// `scripts/fuzz.sh --replay` check the committed corpus and saved reproducers with any
// compiler (g++ + ASan/UBSan), e.g. where clang's libFuzzer is not installed.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int run_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int failures = 0, runs = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat st;
    if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      if (DIR* d = opendir(argv[i])) {
        while (dirent* e = readdir(d)) {
          const std::string p = std::string(argv[i]) + "/" + e->d_name;
          struct stat fst;
          if (stat(p.c_str(), &fst) == 0 && S_ISREG(fst.st_mode)) {
            failures += run_file(p);
            ++runs;
          }
        }
        closedir(d);
      }
    } else {
      failures += run_file(argv[i]);
      ++runs;
    }
  }
  std::printf("replay: %d inputs, %d unreadable\n", runs, failures);
  return failures == 0 ? 0 : 1;
}
