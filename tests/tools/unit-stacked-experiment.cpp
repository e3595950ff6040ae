// PacGAN's stacked-digits metrics and samples.csv (tools/entropic_tools/stacked_experiment.hpp).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "entropic_tools/stacked_experiment.hpp"

using namespace entropic;
namespace fs = std::filesystem;

TEST_CASE("stacked modes: uniform gives 1000 modes and KL 0, one mode KL log 1000") {
  std::vector<int> uniform;
  for (int rep = 0; rep < 26; ++rep)
    for (int m = 0; m < 1000; ++m) uniform.push_back(m);
  const gan::ClassCoverage u = gan::stacked_modes(uniform);
  CHECK(u.covered == 1000);
  CHECK(u.kl_uniform == doctest::Approx(0.0).epsilon(1e-12));
  const gan::ClassCoverage one = gan::stacked_modes(std::vector<int>(26000, 417));
  CHECK(one.covered == 1);
  CHECK(one.kl_uniform == doctest::Approx(std::log(1000.0)).epsilon(1e-12));
  CHECK(one.counts[417] == 26000);
  // Half the samples on each of two modes: KL = log 1000 - log 2 = log 500.
  std::vector<int> two(100, 3);
  two.insert(two.end(), 100, 999);
  const gan::ClassCoverage t = gan::stacked_modes(two);
  CHECK(t.covered == 2);
  CHECK(t.kl_uniform == doctest::Approx(std::log(500.0)).epsilon(1e-12));
  // 100 modes equally often: log 10.
  std::vector<int> hundred;
  for (int m = 0; m < 1000; m += 10) hundred.insert(hundred.end(), 7, m);
  CHECK(gan::stacked_modes(hundred).covered == 100);
  CHECK(gan::stacked_modes(hundred).kl_uniform == doctest::Approx(std::log(10.0)).epsilon(1e-12));
  CHECK_THROWS_AS(gan::stacked_modes({1000}), Error);
}

TEST_CASE("samples.csv: one row a sample on the raw pixel scale, channel 0 first, and the pictures") {
  const fs::path dir = fs::temp_directory_path() / ("entropic-stacked-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Tensor<float> x = Tensor<float>::zeros({3, 12});
  for (int64_t j = 0; j < 12; ++j) x(1, j) = -1.f + float(j) / 8.f;
  x(2, 0) = 1.f;
  const std::string path = (dir / "samples.csv").string();
  gan::write_samples_csv(path, x, 16);
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> rows;
  while (std::getline(in, line)) rows.push_back(line);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == "8,8,8,8,8,8,8,8,8,8,8,8");
  CHECK(rows[1] == "0,1,2,3,4,5,6,7,8,9,10,11");
  CHECK(rows[2].rfind("16,8,", 0) == 0);
  CHECK(!fs::exists(path + ".tmp"));
  // Read back to [-1, 1]: the values of x, to the 5 significant digits written.
  const Tensor<float> back = gan::read_samples_csv(path, 12, 16);
  REQUIRE(back.rows() == 3);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 12; ++j) CHECK(back(i, j) == doctest::Approx(x(i, j)).epsilon(1e-4));
  CHECK_THROWS_WITH_AS(gan::read_samples_csv(path, 13, 16), doctest::Contains("has 12 values, expected 13"), Error);
  // The pictures are written (their content is looked at, not tested).
  gan::write_stacked_grid((dir / "grid.png").string(), x, 2, 2, 3);
  std::vector<int64_t> counts(1000, 26);
  counts[5] = 0;
  gan::write_mode_histogram((dir / "modes.png").string(), counts);
  CHECK(fs::file_size(dir / "grid.png") > 0);
  CHECK(fs::file_size(dir / "modes.png") > 0);
  fs::remove_all(dir);
}
