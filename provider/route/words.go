package route

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The built-in classifier's vocabulary: "word:weight" per intent. English entries are
// whole lower-case words (a trailing version number is ignored: vue3 -> vue); Chinese
// entries are matched as substrings, longest first. Weights: 3+ a strong sign, 2 a
// clear one, 1 a hint. A word may count for more than one intent.
var vocabulary = map[Intent]struct{ en, zh string }{
	IntentCode: {
		en: `code:2 coding:3 program:2 programming:3 bug:2 bugs:2 debug:3 debugging:3 error:1 errors:1 exception:2
			compile:2 compiler:2.5 syntax:2 python:3 java:3 javascript:3 typescript:3 golang:3 goroutine:3 goroutines:3
			rust:2 sql:3 query:1.5 queries:1.5 regex:3 regexp:3 api:1.5 json:2 yaml:2 http:1.5 git:3 github:2 docker:3 dockerfile:3
			kubernetes:2.5 kubectl:3 k8s:3 pod:1 react:2.5 vue:2.5 angular:2 node:1.5 nodejs:3 npm:3 pip:2 flask:3 django:3
			spring:1.5 boot:1 postgresql:3 postgres:2.5 mysql:3 redis:2.5 mongodb:3 nginx:3 bash:3 shell:1.5 script:1.5
			linux:1.5 array:1.5 arrays:1.5 linked:2 string:1 strings:1 class:1 method:1 variable:1.5 variables:1.5 loop:1.5
			recursion:2 recursive:2 algorithm:2 quicksort:3 mergesort:3 implement:1.5 implementation:1.5 refactor:3
			unit:1 tests:1 pytest:3 junit:3 mockito:3 mock:2 async:2.5 await:2.5 callback:2 promise:1.5 runtime:1.5
			deadlock:3 deadlocks:3 segmentation:2 segfault:3 valgrind:3 pointer:2 pointers:2 struct:2 null:1.5 undefined:2
			lru:2 endpoint:2 backend:2 frontend:2 database:1.5 pandas:3 numpy:3 dataframe:3 cors:3 axios:3 useeffect:3
			usestate:3 component:1.5 html:2 css:2 fn:2 def:2 func:2 var:1.5 const:1.5 println:3 printf:3 console:1.5
			import:1.5 return:1 int:1.5 boolean:2 lambda:2 thread:2 threads:2 mutex:3 concurrency:2 concurrent:1.5
			crashloopbackoff:3 cli:1.5 sdk:2 library:1 framework:0.5 webpack:3 vite:3 gradle:3 maven:3 cmake:3
			kotlin:3 swift:2 php:3 ruby:2 scala:3 haskell:3 perl:3 lua:3 jvm:3 gc:1 heap:1.5 repo:2 commit:2 merge:1
			rebase:3 branch:1 microservice:1 grpc:3 websocket:3 oauth:2 jwt:3 csv:1 parse:1.5 parser:2 parses:1.5
			compiles:2 stacktrace:3 traceback:3 localhost:3 port:1.5 npx:3 yarn:3 vscode:3 ide:2 tsconfig:3 env:1`,
		zh: `代码:3 报错:3 错误:1 异常:2 编程:3 程序:2 算法:2 接口:1.5 数据库:2 前端:2 后端:2 部署:1.5 调试:3 编译:3
			变量:2 数组:2 链表:3 二叉树:3 遍历:2 排序:1 并发:2 线程:2 进程:2 端口:2.5 内存泄漏:3 内存:1 缓存:1.5
			正则表达式:3 正则:3 跨域:3 组件:2 依赖:1 配置:1.5 服务器:1.5 时间复杂度:3 复杂度:2 脚本:2.5 命令:1.5
			数据源:2.5 查询:1.5 切片:2 去重:1.5 字符串:2 循环:2 计数器:1.5 智能指针:3 指针:2 构建:1.5 函数:1
			类型:1 源码:3 单元测试:3 测试用例:3 运行:1 安装:1 框架:0.5 重构:3 类:0.5 对象:1 实现一个:1.5 写一个:0.5
			开发:1 打包:2 依赖数组:2 插件:1 服务:0.5 容器:1.5 镜像:1.5 集群:1 日志:1 面试题:0.5`,
	},
	IntentMath: {
		en: `math:3 maths:3 mathematics:3 algebra:3 geometry:3 calculus:3 arithmetic:2 statistics:2 solve:2.5 equation:3
			equations:3 inequality:3 integral:3 integrate:3 derivative:3 differentiate:3 differential:2.5 limit:1.5
			probability:3 matrix:2.5 matrices:2.5 determinant:3 eigenvalues:3 eigenvalue:3 prove:2.5 proof:2.5
			induction:2 theorem:3 triangle:2 area:1 circle:1.5 radius:2 perimeter:2.5 sum:1.5 series:1 geometric:2
			prime:1.5 primes:1.5 factorization:3 factor:1.5 calculate:2 compute:1.5 simplify:2 variance:3 deviation:2
			median:2 average:1 percent:1.5 irrational:3 sqrt:3 square:1 root:1 tangent:3 slope:2 polynomial:3
			quadratic:3 logarithm:3 log:1 ln:2 sin:2 cos:2 tan:1.5 acceleration:2 velocity:2 marbles:2 dice:2.5
			permutations:3 permutation:3 combinations:2 ways:1 dx:3 dy:2 infinity:2 fraction:2 fractions:2 divisible:3
			ratio:1.5 formula:1.5 vector:1.5 angle:1.5 degrees:1 expected:1 distribution:1.5 mod:1 gcd:3 lcm:3
			x:0.5 y:0.3 n:0.3 cube:1.5 volume:1 hypotenuse:3 pythagorean:3 digits:1 multiply:2 divided:2 plus:1 minus:1.5
			times:0.5 remainder:2 exponent:2`,
		zh: `解方程:4 方程组:3 方程:3 不等式:3 求:0.5 计算:2 证明:2.5 概率:3 导数:3 不定积分:3 定积分:3 积分:3 极限:3
			逆矩阵:3 矩阵:3 数列:3 等差:3 等比:3 公比:2 公差:2 通项:3 面积:2 周长:2 半径:2 三角形:2 内角和:3 函数:1.5
			最大值:2 最小值:2 区间:2 整除:3 质数:3 素数:3 几何:2 代数:2 多少种:2.5 选法:3 排列:2 组合:1.5
			百分之:2 骰子:2.5 点数:1 相遇:2 相向:2 鸡兔同笼:4 求和:2 平方:2 立方:2 根号:3 对数:2.5 趋近:3
			的值:1.5 数学:3 几何体:2 体积:1.5 角度:0.5 余数:2 因式分解:3 分数:1.5 小数:1.5 倍:1 已知:1.5 求证:3
			解:0.5 加:0.3 减:0.3 乘:1 除以:1.5 偶数:2 奇数:2 速度:1 公式:1.5 期望:1 方差:3 标准差:3 平均数:2 统计:1`,
	},
	IntentTranslation: {
		en: `translate:6 translation:5 translated:4 translating:5 translator:4 translations:4 say:1.5 mean:1 meaning:1.5
			idiom:1.5 lyrics:1 phrase:1 render:0.5 proverb:1`,
		zh: `翻译成:6 翻译:6 译成:6 译为:6 翻成:5 中译英:6 英译中:6 中译日:6 怎么说:3 英文:2 英语:2 中文:1.5 日语:2.5
			日文:2.5 法语:2.5 德语:2.5 韩语:2.5 西班牙语:2.5 俄语:2.5 意大利语:2.5 葡萄牙语:2.5 阿拉伯语:2.5 泰语:2.5
			越南语:2.5 是什么意思:2.5 什么意思:2.5 地道:1.5 原文:1.5 译文:3 英译:4 汉译:4 用英语:2 用中文:1`,
	},
	IntentFast: {
		en: `hi:4 hello:4 hey:4 thanks:4 thank:3 thx:4 bye:3 goodbye:3 morning:1.5 night:1.5 joke:2 capital:2 spell:2
			synonym:2 antonym:2 opposite:2 who:1 recommend:1 stand:0.5 quick:1 quickly:1 briefly:1.5 weather:1.5
			ok:2 okay:2 yes:1.5 no:0.5 lol:2 cool:1.5 nice:1 sup:3 howdy:3 cheers:2 random:1 name:0.5 fun:1 fact:1 tell:0.5`,
		zh: `你好:4 您好:3 谢谢:4 多谢:4 在吗:4 早上好:4 早安:4 晚安:4 再见:3 笑话:2.5 是谁:2 哪里:1.5 哪个:1
			推荐:1.5 是什么:1 今天:1 天气:1.5 起个:2 名字:1 反义词:2.5 近义词:2.5 作者:1.5 首都:2.5 星期几:2.5
			等于多少:1.5 哈哈:3 好的:2 嗯:2 一句话:1.5 简单说:1.5 吃什么:1 几点:1.5 多大:1`,
	},
	IntentComplex: {
		en: `analyze:3 analyse:3 analysis:2.5 compare:2 comparison:2 evaluate:2.5 assess:2.5 design:2 architecture:2
			scalable:2 strategy:3 strategies:3 plan:2 planning:2 roadmap:3 tradeoffs:3 tradeoff:3 trade:1.5 offs:1.5
			implications:3 consequences:2.5 impact:2 pros:2 cons:2 comprehensive:3 detailed:2 depth:2 thorough:2.5
			thoroughly:2.5 critically:3 critique:3 framework:2 argue:2.5 argument:1.5 arguments:2 discuss:2.5
			reasoning:2.5 reason:1.5 step:1.5 carefully:1.5 deciding:2 decide:1.5 decision:2 recommendation:2
			itinerary:2.5 methodology:3 research:1.5 causes:2 why:1 explain:1 considering:2 consider:1.5 factors:2
			risks:2 mitigations:2 mitigation:2 migrating:1.5 migration:1.5 rollout:2 ethical:2.5 ethics:2.5
			geopolitical:3 economic:2 economy:2 historical:1.5 history:1 significance:2 philosophical:2 philosophy:2
			evidence:2 structured:2 prioritized:2 prioritize:2 business:2 market:2 financial:1.5 projections:2
			budget:1 balancing:2 strengths:2 weaknesses:2 versus:1.5 vs:1 walk:1 through:0.5 essay:2 report:1
			long:0.5 term:0.5 future:1 predict:2 forecast:2 policy:2 regulation:2 society:1.5 social:1 political:1.5
			holistic:3 systematically:3 multi:1 outline:1.5 proposal:2 propose:2 develop:1 draft:1 evaluation:2
			challenges:2 opportunities:2 implications:3 recommendations:2 insight:1.5 insights:1.5 nuanced:3`,
		zh: `分析:3 详细:2 深入:2.5 比较:2 对比:2 评估:2.5 评价:2 设计:2 方案:2.5 策略:2.5 规划:2 计划:2 计划书:3
			架构:2 论述:3 系统地:2 系统:1 综合:2 影响:2 利弊:3 优缺点:2.5 权衡:3 取舍:2.5 框架:1.5 路线图:3 推理:2
			一步一步:2 探讨:3 长远:2 长期:2 未来:1.5 角度:2 维度:2 方面:1.5 风险:2 考虑:1.5 结合:1.5 梳理:2.5
			演进:2 预测:2 挑战:2 原因:1.5 为什么:1 制定:2.5 转型:2 政策:1.5 格局:2 思想:1.5 意义:1.5 哲学:2
			多个:1 分阶段:3 优先级:2 改进:1.5 市场:1.5 商业:2 结构化:2 论证:2.5 观点:1.5 全面:2 深度:2 报告:1
			建议:1 研究:1.5 趋势:2 机制:1.5 发展:1 战略:3 选型:2 调研:2 竞争:1.5 成本:1.5 经济:1.5 社会:1.5 历史:1`,
	},
}

// language names, and the prepositions that make "into French" a translation request
var (
	languages    = "english french german spanish japanese korean chinese mandarin cantonese italian portuguese russian arabic vietnamese thai hindi dutch turkish polish greek hebrew indonesian malay swedish"
	prepositions = "into in to from"
)

type enEntry struct {
	w    [NumIntents]float32
	lang bool // a language name
	prep bool // into / in / to / from
}

type zhEntry struct {
	s string
	w [NumIntents]float32
}

// CJK block covered by the Chinese index
const (
	zhLo = 0x3000
	zhHi = 0xA000
)

// The word index is built the first time a prompt is classified (indexOnce), not at
// start: most routes never classify, and it is ~180 KB of heap every collection would
// scan.
var (
	indexOnce sync.Once
	enWords   map[string]enEntry
	zhWords   map[rune][]zhEntry
	zhFirst   [(zhHi - zhLo) / 64]uint64
)

func buildIndex() {
	enWords, zhWords = map[string]enEntry{}, map[rune][]zhEntry{}
	for intent, v := range vocabulary {
		for _, f := range strings.Fields(v.en) {
			w, weight := splitWeight(f)
			e := enWords[w]
			e.w[intent] += weight
			enWords[w] = e
		}
		for _, f := range strings.Fields(v.zh) {
			w, weight := splitWeight(f)
			r, _ := utf8.DecodeRuneInString(w)
			if r < zhLo || r >= zhHi {
				panic("route: Chinese keyword outside the CJK index: " + w)
			}
			list := zhWords[r]
			found := false
			for i := range list {
				if list[i].s == w {
					list[i].w[intent] += weight
					found = true
				}
			}
			if !found {
				var e zhEntry
				e.s = w
				e.w[intent] = weight
				list = append(list, e)
			}
			zhWords[r] = list
			zhFirst[(r-zhLo)>>6] |= 1 << ((r - zhLo) & 63)
		}
	}
	for _, l := range strings.Fields(languages) {
		e := enWords[l]
		e.lang = true
		e.w[IntentTranslation] += 1.5
		enWords[l] = e
	}
	for _, p := range strings.Fields(prepositions) {
		e := enWords[p]
		e.prep = true
		enWords[p] = e
	}
	for r, list := range zhWords {
		sort.Slice(list, func(i, j int) bool { return len(list[i].s) > len(list[j].s) })
		zhWords[r] = list
	}
}

func splitWeight(f string) (string, float32) {
	i := strings.LastIndexByte(f, ':')
	if i < 0 {
		panic("route: vocabulary entry without weight: " + f)
	}
	w, err := strconv.ParseFloat(f[i+1:], 32)
	if err != nil {
		panic("route: vocabulary entry with a bad weight: " + f)
	}
	return f[:i], float32(w)
}
