// Loads a checkpoint with the library's own reader and prints its iteration: the crash test runs
// it after every kill, so a checkpoint that a kill left unreadable fails the test there and then,
// not only when the next run happens to resume from it.
#include <cstdio>
#include <exception>

#include "entropic/io/safetensors.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: check-checkpoint FILE.safetensors\n");
    return 2;
  }
  try {
    const entropic::io::SafeTensorsFile f = entropic::io::load_safetensors(argv[1]);
    std::printf("%s\n", f.metadata.at("iteration").c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "check-checkpoint: %s\n", e.what());
    return 1;
  }
}
