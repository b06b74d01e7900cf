// ReadPemFile: the contents when a block with the wanted label is there, else
// one INVALID_ARGUMENT message that names the flag and the path.
#include "common/base/pem_file.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace asyncgrpc {
namespace {

constexpr char kCertificate[] =
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr char kKey[] =
    "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n";

class PemFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/pem_file_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(PemFileTest, ReturnsTheFileWhenALabelEndsWithTheSuffix) {
  const std::string path = Write("both.pem", std::string(kKey) + kCertificate);
  absl::StatusOr<std::string> cert = ReadPemFile("tls_ca", path, "CERTIFICATE");
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(*cert, std::string(kKey) + kCertificate);
  // "EC PRIVATE KEY" ends with "PRIVATE KEY".
  EXPECT_TRUE(ReadPemFile("tls_key", path, "PRIVATE KEY").ok());
}

TEST_F(PemFileTest, RefusesAFileWithoutTheWantedBlock) {
  const std::string path = Write("key.pem", kKey);
  absl::StatusOr<std::string> cert = ReadPemFile("tls_ca", path, "CERTIFICATE");
  ASSERT_EQ(cert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cert.status().message(),
            "--tls_ca: cannot use \"" + path + "\": no PEM CERTIFICATE in it");
}

TEST_F(PemFileTest, NamesTheFlagForAMissingFileOrADirectory) {
  for (const std::string& path : {dir_ + "/missing.pem", dir_}) {
    absl::StatusOr<std::string> pem = ReadPemFile("tls_cert", path, "KEY");
    ASSERT_EQ(pem.status().code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_TRUE(absl::StartsWith(pem.status().message(),
                                 "--tls_cert: cannot use \"" + path + "\": "))
        << pem.status();
  }
}

TEST_F(PemFileTest, RefusesAFileOverOneMebibyte) {
  const std::string path =
      Write("big.pem", kCertificate + std::string(1 << 20, 'x'));
  absl::StatusOr<std::string> pem = ReadPemFile("tls_ca", path, "CERTIFICATE");
  ASSERT_FALSE(pem.ok());
  EXPECT_TRUE(absl::EndsWith(pem.status().message(), "larger than 1 MiB"))
      << pem.status();
}

}  // namespace
}  // namespace asyncgrpc
