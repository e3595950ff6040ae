// Links entropic::io: a scatter plot (gan/plot.hpp: font, PNG through stb) and a gzip-compressed
// IDX file read back (data/idx.hpp: zlib). Writes into the directory given as argv[1].
#include <entropic/data/idx.hpp>
#include <entropic/gan/plot.hpp>

#include <zlib.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  entropic::Rng rng(1);
  const auto mix = entropic::gan::ring();
  entropic::gan::plot_samples(dir + "/ring.png", mix.sample<float>(200, rng), mix, "ring", 200);

  // A rank-1 IDX of three bytes, gzip-compressed.
  const unsigned char idx[] = {0, 0, 8, 1, 0, 0, 0, 3, 10, 20, 30};
  gzFile gz = gzopen((dir + "/three.idx.gz").c_str(), "wb");
  if (!gz || gzwrite(gz, idx, sizeof idx) != int(sizeof idx) || gzclose(gz) != Z_OK) return 1;
  const auto a = entropic::data::read_idx(dir + "/three.idx.gz", 1);
  if (a.dims.size() != 1 || a.dims[0] != 3 || a.data.at(2) != 30) return 1;
  std::printf("picture ok: wrote %s/ring.png, read 3 bytes back through zlib\n", dir.c_str());
  return 0;
}
