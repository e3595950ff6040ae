// bench_kde: the peers beside our versions, and the result rows' CSV (plot.hpp draws them).
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "../common.hpp"
#include "peers.hpp"
#include "plot.hpp"
#include "work.hpp"
#include "entropic/io/font.hpp"
#include "entropic/io/png.hpp"

namespace bench::kde {
using namespace entropic;


// Times every peer on x for both passes and prints each beside our best version of the case.
inline void run_peers(Peers& peers, const std::string& device, const std::vector<float>& x, int64_t n, int64_t d,
               double sigma, const Reference& R, std::map<Pass, double>& best_ms, std::vector<Row>& rows) {
  peers.set_input(x);
  for (const std::string& p : peers.names())
    for (Pass pass : {Pass::Fwd, Pass::FwdBwd}) {
      Stats t;
      double H = 0;
      std::string why;
      if (!peers.time(p, n, d, sigma, pass, t, H, why)) {
        std::printf("  peer %-16s %-8s %s\n", p.c_str(), pass_name(pass), why.c_str());
        continue;
      }
      char hcheck[64] = "";
      if (R.full) std::snprintf(hcheck, sizeof hcheck, ", H err %.1e", std::fabs(H - R.H));
      std::printf("  peer %-16s %-8s %9.3f ms (%.3f-%.3f)%s", p.c_str(), pass_name(pass), t.median, t.min, t.max,
                  hcheck);
      if (best_ms.count(pass)) std::printf("  -> our best is %.1fx faster", t.median / best_ms[pass]);
      std::printf("\n");
      rows.push_back({device, "peer-" + p, n, d, pass, t, -1, -1});
    }
}

inline void write_csv(const std::string& path, const std::vector<Row>& rows) {
  io::write_atomically(path, [&](std::ostream& out) {
    out << "device,version,n,d,pass,median_ms,min_ms,max_ms,gflops,pct_of_ceiling\n";
    char buf[256];
    for (const Row& r : rows) {
      std::snprintf(buf, sizeof buf, "%s,%s,%lld,%lld,%s,%.4f,%.4f,%.4f,", r.device.c_str(), r.version.c_str(),
                    (long long)r.n, (long long)r.d, pass_name(r.pass), r.t.median, r.t.min, r.t.max);
      out << buf;
      if (r.gflops >= 0) {
        std::snprintf(buf, sizeof buf, "%.2f,%.1f", r.gflops, r.pct);
        out << buf;
      } else {
        out << ",";
      }
      out << "\n";
    }
  });
}

}  // namespace bench::kde
