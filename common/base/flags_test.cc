#include "common/base/flags.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, x, 0, "An int flag for flags_test.");
ABSL_FLAG(bool, b, false, "A bool flag for flags_test.");
ABSL_FLAG(absl::Duration, d, absl::Seconds(1),
          "A duration flag for flags_test.");
ABSL_FLAG(bool, notify, false, "A bool flag whose name starts with no.");

namespace asyncgrpc {
namespace {

using Args = std::vector<std::string>;

// Runs ParseFlagsOrExit over `args` (args[0] is the program path).
std::vector<std::string> Parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return ParseFlagsOrExit(static_cast<int>(args.size()), argv.data(),
                          "Usage text for flags_test.");
}

// Restores every flag after each test.
class FlagsTest : public ::testing::Test {
 private:
  absl::FlagSaver saver_;
};

using FlagsDeathTest = FlagsTest;

TEST_F(FlagsTest, NoArguments) {
  EXPECT_EQ(Parse({"/usr/bin/prog"}), Args{});
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 0);
  EXPECT_FALSE(absl::GetFlag(FLAGS_b));
  EXPECT_EQ(absl::GetFlag(FLAGS_d), absl::Seconds(1));
}

TEST_F(FlagsTest, ProgramNameIsBasename) {
  Parse({"/usr/local/bin/item_server"});
  EXPECT_EQ(ProgramName(), "item_server");
  Parse({"relative_prog"});
  EXPECT_EQ(ProgramName(), "relative_prog");
}

TEST_F(FlagsTest, EqualsForm) {
  EXPECT_EQ(Parse({"prog", "--x=3"}), Args{});
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 3);
}

TEST_F(FlagsTest, SeparateValueForm) {
  EXPECT_EQ(Parse({"prog", "--x", "3"}), Args{});
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 3);
}

TEST_F(FlagsTest, SingleDash) {
  Parse({"prog", "-x=4"});
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 4);
  Parse({"prog", "-x", "5"});
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 5);
  Parse({"prog", "-b"});
  EXPECT_TRUE(absl::GetFlag(FLAGS_b));
}

TEST_F(FlagsTest, NegativeSeparateValue) {
  EXPECT_EQ(Parse({"prog", "--x", "-5"}), Args{});
  EXPECT_EQ(absl::GetFlag(FLAGS_x), -5);
}

TEST_F(FlagsTest, LastValueWins) {
  Parse({"prog", "--x=1", "--x", "2", "--x=3"});
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 3);
}

TEST_F(FlagsTest, BoolWithoutValue) {
  EXPECT_EQ(Parse({"prog", "--b"}), Args{});
  EXPECT_TRUE(absl::GetFlag(FLAGS_b));
}

TEST_F(FlagsTest, BoolDoesNotConsumeNextArgument) {
  EXPECT_EQ(Parse({"prog", "--b", "false"}), Args({"false"}));
  EXPECT_TRUE(absl::GetFlag(FLAGS_b));
}

TEST_F(FlagsTest, NegatedBool) {
  absl::SetFlag(&FLAGS_b, true);
  EXPECT_EQ(Parse({"prog", "--nob"}), Args{});
  EXPECT_FALSE(absl::GetFlag(FLAGS_b));
}

TEST_F(FlagsTest, BoolEqualsForms) {
  Parse({"prog", "--b=true"});
  EXPECT_TRUE(absl::GetFlag(FLAGS_b));
  Parse({"prog", "--b=false"});
  EXPECT_FALSE(absl::GetFlag(FLAGS_b));
  Parse({"prog", "--b=1"});
  EXPECT_TRUE(absl::GetFlag(FLAGS_b));
}

TEST_F(FlagsTest, BoolFlagNamedNoSomething) {
  Parse({"prog", "--notify"});
  EXPECT_TRUE(absl::GetFlag(FLAGS_notify));
  Parse({"prog", "--nonotify"});
  EXPECT_FALSE(absl::GetFlag(FLAGS_notify));
}

TEST_F(FlagsTest, Duration) {
  Parse({"prog", "--d=1.5s"});
  EXPECT_EQ(absl::GetFlag(FLAGS_d), absl::Milliseconds(1500));
  Parse({"prog", "--d", "250ms"});
  EXPECT_EQ(absl::GetFlag(FLAGS_d), absl::Milliseconds(250));
  Parse({"prog", "--d=inf"});
  EXPECT_EQ(absl::GetFlag(FLAGS_d), absl::InfiniteDuration());
}

TEST_F(FlagsTest, PositionalArgumentsAreReturnedInOrder) {
  EXPECT_EQ(Parse({"prog", "a", "--x=3", "b", "--b", "c"}),
            Args({"a", "b", "c"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 3);
  EXPECT_TRUE(absl::GetFlag(FLAGS_b));
}

TEST_F(FlagsTest, LoneDashIsPositional) {
  EXPECT_EQ(Parse({"prog", "-", "--x", "1"}), Args({"-"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 1);
}

TEST_F(FlagsTest, DoubleDashEndsFlags) {
  EXPECT_EQ(Parse({"prog", "--x=3", "--", "--b", "--x=9", "c", "--nope"}),
            Args({"--b", "--x=9", "c", "--nope"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 3);
  EXPECT_FALSE(absl::GetFlag(FLAGS_b));
}

TEST_F(FlagsTest, DoubleDashAtEnd) {
  EXPECT_EQ(Parse({"prog", "a", "--"}), Args({"a"}));
}

TEST_F(FlagsTest, DoubleDashAfterSeparateValue) {
  EXPECT_EQ(Parse({"prog", "--x", "7", "--", "z"}), Args({"z"}));
  EXPECT_EQ(absl::GetFlag(FLAGS_x), 7);
}

TEST_F(FlagsDeathTest, UnknownFlagExits2WithOneLine) {
  EXPECT_EXIT(
      Parse({"/bin/prog", "--nope"}), ::testing::ExitedWithCode(2),
      ::testing::MatchesRegex("prog: [^\n]*unknown flag --nope[^\n]*\n"));
}

TEST_F(FlagsDeathTest, UnknownFlagWithValueExits2) {
  EXPECT_EXIT(Parse({"prog", "--nope=1"}), ::testing::ExitedWithCode(2),
              ::testing::MatchesRegex("[^\n]*unknown flag --nope[^\n]*\n"));
  EXPECT_EXIT(Parse({"prog", "--nope", "1"}), ::testing::ExitedWithCode(2),
              ::testing::MatchesRegex("[^\n]*unknown flag --nope[^\n]*\n"));
}

TEST_F(FlagsDeathTest, NegatedNonBoolIsUnknown) {
  EXPECT_EXIT(Parse({"prog", "--nox"}), ::testing::ExitedWithCode(2),
              "unknown flag --nox");
}

TEST_F(FlagsDeathTest, UnknownFlagAfterGoodOnes) {
  EXPECT_EXIT(Parse({"prog", "--x=1", "pos", "--nope"}),
              ::testing::ExitedWithCode(2), "unknown flag --nope");
}

TEST_F(FlagsDeathTest, BadIntValueExits2NamingFlag) {
  EXPECT_EXIT(Parse({"prog", "--x=abc"}), ::testing::ExitedWithCode(2),
              ::testing::MatchesRegex("prog: [^\n]*abc[^\n]*--x[^\n]*\n"));
  EXPECT_EXIT(Parse({"prog", "--x", "abc"}), ::testing::ExitedWithCode(2),
              "--x");
  EXPECT_EXIT(Parse({"prog", "--x=99999999999"}), ::testing::ExitedWithCode(2),
              "--x");
  EXPECT_EXIT(Parse({"prog", "--x="}), ::testing::ExitedWithCode(2), "--x");
}

TEST_F(FlagsDeathTest, BadBoolValueExits2NamingFlag) {
  EXPECT_EXIT(Parse({"prog", "--b=maybe"}), ::testing::ExitedWithCode(2),
              "maybe.*--b");
}

TEST_F(FlagsDeathTest, BadDurationValueExits2NamingFlag) {
  EXPECT_EXIT(Parse({"prog", "--d=forever"}), ::testing::ExitedWithCode(2),
              "forever.*--d");
  EXPECT_EXIT(Parse({"prog", "--d", "5"}), ::testing::ExitedWithCode(2), "--d");
}

TEST_F(FlagsDeathTest, MissingValueExits2) {
  EXPECT_EXIT(Parse({"prog", "--x"}), ::testing::ExitedWithCode(2),
              ::testing::MatchesRegex("prog: [^\n]*--x[^\n]*\n"));
  EXPECT_EXIT(Parse({"prog", "--d"}), ::testing::ExitedWithCode(2), "--d");
}

// --help prints on stdout; the child sends stdout to stderr so the death test
// can see it.
TEST_F(FlagsDeathTest, HelpExits0AndListsFlags) {
  for (const char* help : {"--help", "-h", "--helpfull", "-help"}) {
    EXPECT_EXIT(
        {
          dup2(STDERR_FILENO, STDOUT_FILENO);
          Parse({"/bin/prog", help});
        },
        ::testing::ExitedWithCode(0),
        ::testing::AllOf(::testing::HasSubstr("Usage: prog"),
                         ::testing::HasSubstr("Usage text for flags_test."),
                         ::testing::HasSubstr("--x"),
                         ::testing::HasSubstr("An int flag for flags_test."),
                         ::testing::HasSubstr("--b"),
                         ::testing::HasSubstr("--d"),
                         ::testing::HasSubstr("--notify")))
        << help;
  }
}

TEST_F(FlagsDeathTest, HelpWinsOverLaterBadFlags) {
  EXPECT_EXIT(
      {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        Parse({"prog", "--help", "--nope"});
      },
      ::testing::ExitedWithCode(0), "--x");
}

TEST_F(FlagsDeathTest, HelpShowsDefaults) {
  EXPECT_EXIT(
      {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        Parse({"prog", "--help"});
      },
      ::testing::ExitedWithCode(0),
      ::testing::AllOf(::testing::HasSubstr("--x (default: \"0\")"),
                       ::testing::HasSubstr("--b (default: \"false\")"),
                       ::testing::HasSubstr("--d (default: \"1s\")")));
}

TEST_F(FlagsDeathTest, ExitWithUsageError) {
  Parse({"/opt/tool"});
  EXPECT_EXIT(ExitWithUsageError("something is wrong"),
              ::testing::ExitedWithCode(2),
              ::testing::MatchesRegex("tool: something is wrong\n"));
}

}  // namespace
}  // namespace asyncgrpc
