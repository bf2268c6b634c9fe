# ruff: noqa: E501  (answers are data: one string per answer, as written)
"""Dev exercises for the leak scorer (written first; the rules were tuned on these).

Each exercise: `reference` and `tests` (the instructor's), and the answers a tutor might
give: `reordered` (the reference with independent statements moved; build.py also
renames its identifiers), `styles` (complete solutions in another style), `pseudo`
(step-by-step prose of the solution), `hints`, `concepts` (the idea on another example)
and `unrelated` code. build.py turns them into labelled pairs (LABELLING.md).
"""

EXERCISES = [
    {
        "id": "sum_even",
        "reference": """def sum_even(numbers):
    total = 0
    for n in numbers:
        if n % 2 == 0:
            total += n
    return total
""",
        "tests": "assert sum_even([1, 2, 3, 4]) == 6\nassert sum_even([]) == 0\nassert sum_even([1, 3]) == 0\n",
        "reordered": """def sum_even(numbers):
    total = 0
    for n in numbers:
        if n % 2 != 0:
            continue
        total += n
    return total
""",
        "styles": ["def sum_even(numbers):\n    return sum(n for n in numbers if n % 2 == 0)\n"],
        "pseudo": """1. Start with a total of 0.
2. Go through each number in the list.
3. If the number is even (remainder 0 when divided by 2), add it to the total.
4. After the loop, return the total.""",
        "hints": [
            "Which numbers should count? Think about how you can tell that a number is even: what does `%` give you?",
            "You are close. Your loop looks at every number, but you add all of them. What check is missing before the addition?",
        ],
        "concepts": [
            "Here is the accumulator pattern on a different task, counting long words:\n\n```python\ncount = 0\nfor word in words:\n    if len(word) > 5:\n        count += 1\n```\n\nNow think about what your task counts and what it adds.",
            "The modulo operator gives the remainder: `7 % 3` is `1`, `8 % 4` is `0`. A remainder of zero means the division is exact.",
        ],
        "unrelated": "```python\nimport csv\nwith open('grades.csv') as f:\n    for row in csv.DictReader(f):\n        print(row['name'], row['grade'])\n```",
    },
    {
        "id": "count_vowels",
        "reference": """def count_vowels(text):
    count = 0
    for ch in text.lower():
        if ch in "aeiou":
            count += 1
    return count
""",
        "tests": "assert count_vowels('Hello') == 2\nassert count_vowels('') == 0\nassert count_vowels('xyz') == 0\nassert count_vowels('AEIOU') == 5\n",
        "reordered": """def count_vowels(text):
    vowels = "aeiou"
    count = 0
    lowered = text.lower()
    for ch in lowered:
        if ch in vowels:
            count = count + 1
    return count
""",
        "styles": [
            "def count_vowels(text):\n    return len([c for c in text.lower() if c in 'aeiou'])\n"
        ],
        "pseudo": """Step 1: Set count to 0.
Step 2: Make the text lower case, then loop over each character.
Step 3: If the character is one of a, e, i, o, u, increment the count.
Step 4: Return the count when the loop is done.""",
        "hints": [
            "What happens to 'A' in your check? Try printing `'A' in 'aeiou'`.",
            "You can test whether a character belongs to a group of characters with the `in` operator. How would you use that inside your loop?",
        ],
        "concepts": [
            'Strings can be looped over like lists:\n\n```python\nfor letter in "cat":\n    print(letter)\n```\n\nprints one letter per line.',
            "Membership tests work on lists too: `3 in [1, 2, 3]` is `True`, and `'x' in 'box'` is `True`.",
        ],
        "unrelated": "```python\nimport math\nprint(math.sqrt(16))\nradius = 3\nprint(math.pi * radius ** 2)\n```",
    },
    {
        "id": "factorial",
        "reference": """def factorial(n):
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result
""",
        "tests": "assert factorial(0) == 1\nassert factorial(1) == 1\nassert factorial(5) == 120\nassert factorial(6) == 720\n",
        "reordered": """def factorial(n):
    result = 1
    i = 2
    while i <= n:
        result *= i
        i += 1
    return result
""",
        "styles": [
            "def factorial(n):\n    if n <= 1:\n        return 1\n    return n * factorial(n - 1)\n"
        ],
        "pseudo": """1. Initialize the result to 1.
2. Loop over every number from 2 up to and including n.
3. Multiply the result by that number each time.
4. Return the result.""",
        "hints": [
            "What is the factorial of 0? Make sure your function handles that case before you think about the loop.",
            "Your loop stops one number too early. What is the last value `range(2, n)` produces?",
        ],
        "concepts": [
            "A running product works like a running sum, only with `*=`:\n\n```python\nproduct = 1\nfor price in [2, 3, 4]:\n    product *= price\n```",
            "`range(a, b)` goes from a up to b - 1, so `range(1, 4)` is 1, 2, 3.",
        ],
        "unrelated": "```python\nnames = ['ada', 'alan', 'grace']\nfor name in sorted(names):\n    print(name.title())\n```",
    },
    {
        "id": "reverse_string",
        "reference": """def reverse_string(s):
    result = ""
    for ch in s:
        result = ch + result
    return result
""",
        "tests": "assert reverse_string('abc') == 'cba'\nassert reverse_string('') == ''\nassert reverse_string('a') == 'a'\n",
        "reordered": """def reverse_string(s):
    result = ""
    for index in range(len(s)):
        result = s[index] + result
    return result
""",
        "styles": [
            "def reverse_string(s):\n    return s[::-1]\n",
            "def reverse_string(s):\n    if not s:\n        return ''\n    return reverse_string(s[1:]) + s[0]\n",
        ],
        "pseudo": """1. Start with an empty result string.
2. Go through each character of the input from left to right.
3. Put it in front of the result (new character + result), so that it updates the result.
4. Return the result at the end.""",
        "hints": [
            "If you add each new character at the front instead of the back, what do you get after three characters of 'abc'?",
            "Slicing can take a step. What do you think `s[::2]` gives? Experiment in a cell.",
        ],
        "concepts": [
            "Strings are immutable: `name + '!'` builds a new string and leaves `name` as it was.",
            "A list can be reversed in place with `items.reverse()`, or you can get a reversed copy with `list(reversed(items))`.",
        ],
        "unrelated": "```python\nimport random\nrandom.seed(1)\nprint(random.randint(1, 6))\nprint(random.choice(['heads', 'tails']))\n```",
    },
    {
        "id": "max_of_list",
        "reference": """def max_of_list(values):
    best = values[0]
    for v in values[1:]:
        if v > best:
            best = v
    return best
""",
        "tests": "assert max_of_list([3, 1, 4, 1, 5]) == 5\nassert max_of_list([-2, -7]) == -2\nassert max_of_list([9]) == 9\n",
        "reordered": """def max_of_list(values):
    best = values[0]
    for v in values:
        if best < v:
            best = v
    return best
""",
        "styles": [
            "def max_of_list(values):\n    if len(values) == 1:\n        return values[0]\n    rest = max_of_list(values[1:])\n    return values[0] if values[0] > rest else rest\n"
        ],
        "pseudo": """1. Start with the first value as the best so far.
2. Loop over each remaining value.
3. If it is larger than the best so far, update the best so far to it.
4. Return the best so far.""",
        "hints": [
            "Why can't you start `best` at 0? Think about a list of only negative numbers.",
            "Keep a variable for the largest value seen so far. When should it change?",
        ],
        "concepts": [
            "Comparison operators return booleans: `3 > 2` is `True`. Strings compare alphabetically: `'b' > 'a'`.",
            "Here is how to find the shortest word, a similar idea:\n\n```python\nshortest = words[0]\nfor w in words:\n    if len(w) < len(shortest):\n        shortest = w\n```",
        ],
        "unrelated": "```python\nfrom datetime import date\ntoday = date.today()\nprint(today.year, today.month)\n```",
    },
    {
        "id": "fizzbuzz",
        "reference": """def fizzbuzz(n):
    out = []
    for i in range(1, n + 1):
        if i % 15 == 0:
            out.append("FizzBuzz")
        elif i % 3 == 0:
            out.append("Fizz")
        elif i % 5 == 0:
            out.append("Buzz")
        else:
            out.append(str(i))
    return out
""",
        "tests": "assert fizzbuzz(5) == ['1', '2', 'Fizz', '4', 'Buzz']\nassert fizzbuzz(15)[-1] == 'FizzBuzz'\nassert fizzbuzz(0) == []\n",
        "reordered": """def fizzbuzz(n):
    out = []
    for i in range(1, n + 1):
        word = ""
        if i % 3 == 0:
            word += "Fizz"
        if i % 5 == 0:
            word += "Buzz"
        out.append(word or str(i))
    return out
""",
        "styles": [
            "def fizzbuzz(n):\n    return ['FizzBuzz' if i % 15 == 0 else 'Fizz' if i % 3 == 0 else 'Buzz' if i % 5 == 0 else str(i) for i in range(1, n + 1)]\n"
        ],
        "pseudo": """1. Create an empty list for the output.
2. Loop over each number i from 1 to n.
3. If i is divisible by 15, append "FizzBuzz"; otherwise if divisible by 3 append "Fizz"; otherwise if divisible by 5 append "Buzz".
4. Else append the number itself as a string.
5. Return the list.""",
        "hints": [
            "Order matters in an if/elif chain: which check would catch 15 first in your code?",
            "What does your function return at the moment? The tests expect a list of strings.",
        ],
        "concepts": [
            "An if/elif/else chain runs only the first branch whose condition is true:\n\n```python\nif temp > 30:\n    print('hot')\nelif temp > 20:\n    print('warm')\n```",
            "`str(5)` turns the number 5 into the string '5'; `int('5')` goes the other way.",
        ],
        "unrelated": "```python\nclass Dog:\n    def __init__(self, name):\n        self.name = name\n    def bark(self):\n        return self.name + ' says woof'\n```",
    },
    {
        "id": "is_palindrome",
        "reference": """def is_palindrome(text):
    cleaned = ""
    for ch in text.lower():
        if ch.isalnum():
            cleaned += ch
    return cleaned == cleaned[::-1]
""",
        "tests": "assert is_palindrome('Racecar')\nassert is_palindrome('A man, a plan, a canal: Panama')\nassert not is_palindrome('hello')\n",
        "reordered": """def is_palindrome(text):
    lowered = text.lower()
    cleaned = ""
    for ch in lowered:
        if not ch.isalnum():
            continue
        cleaned += ch
    return cleaned[::-1] == cleaned
""",
        "styles": [
            "def is_palindrome(text):\n    cleaned = [c for c in text.lower() if c.isalnum()]\n    left, right = 0, len(cleaned) - 1\n    while left < right:\n        if cleaned[left] != cleaned[right]:\n            return False\n        left += 1\n        right -= 1\n    return True\n"
        ],
        "pseudo": """1. Make the text lower case.
2. Start with an empty cleaned string, then go through each character.
3. If the character is a letter or digit, add it to the cleaned string.
4. Return whether the cleaned string equals its reverse.""",
        "hints": [
            "Your function says 'Racecar' is not a palindrome. What is different between 'R' and 'r'?",
            "Punctuation and spaces should not count. Is there a string method that tells you whether a character is a letter or a digit?",
        ],
        "concepts": [
            "Slicing with a negative step reverses: `[1, 2, 3][::-1]` is `[3, 2, 1]`.",
            "`'abc'.upper()` gives 'ABC'; string methods return new strings and never change the original.",
        ],
        "unrelated": "```python\nimport json\ndata = {'a': 1, 'b': [1, 2]}\ntext = json.dumps(data)\nprint(json.loads(text)['b'])\n```",
    },
    {
        "id": "word_count",
        "reference": """def word_count(text):
    counts = {}
    for word in text.lower().split():
        if word in counts:
            counts[word] += 1
        else:
            counts[word] = 1
    return counts
""",
        "tests": "assert word_count('a b a') == {'a': 2, 'b': 1}\nassert word_count('') == {}\nassert word_count('Hi hi') == {'hi': 2}\n",
        "reordered": """def word_count(text):
    counts = {}
    words = text.lower().split()
    for word in words:
        if word not in counts:
            counts[word] = 0
        counts[word] += 1
    return counts
""",
        "styles": [
            "def word_count(text):\n    counts = {}\n    for word in text.lower().split():\n        counts[word] = counts.get(word, 0) + 1\n    return counts\n",
            "from collections import Counter\n\ndef word_count(text):\n    return dict(Counter(text.lower().split()))\n",
        ],
        "pseudo": """1. Create an empty dictionary.
2. Lower-case the text, split it into words and loop over each word.
3. If the word is already a key, increment its count; otherwise set its count to 1.
4. Return the dictionary.""",
        "hints": [
            "What error do you get when you do `counts[word] += 1` for a word that is not in the dictionary yet? How could you avoid it?",
            "Should 'Hi' and 'hi' be the same word? Look at the second test.",
        ],
        "concepts": [
            "Dictionaries map keys to values: `ages = {'ann': 30}`, then `ages['ann']` is 30 and `'bob' in ages` is False.",
            "`'a b  c'.split()` splits on any run of whitespace and gives `['a', 'b', 'c']`.",
        ],
        "unrelated": "```python\nimport os\nfor name in os.listdir('.'):\n    if name.endswith('.ipynb'):\n        print(name)\n```",
    },
    {
        "id": "fibonacci",
        "reference": """def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
""",
        "tests": "assert fibonacci(0) == 0\nassert fibonacci(1) == 1\nassert fibonacci(10) == 55\n",
        "reordered": """def fibonacci(n):
    a, b = 0, 1
    count = 0
    while count < n:
        a, b = b, a + b
        count += 1
    return a
""",
        "styles": [
            "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n"
        ],
        "pseudo": """1. Start with two values, a = 0 and b = 1.
2. Repeat n times: set a to b and b to the sum of the old a and b, at the same time.
3. After the loop, return a.""",
        "hints": [
            "What are the first few Fibonacci numbers? Write down 0, 1, 1, 2, 3 and see how each comes from the two before it.",
            "If you update `a` before computing the new `b`, you lose the old value of `a`. How can Python assign both at once?",
        ],
        "concepts": [
            "Tuple assignment swaps without a temporary variable: `x, y = y, x`.",
            "`for _ in range(3):` repeats a block three times when you don't need the counter.",
        ],
        "unrelated": "```python\nscores = {'ann': 3, 'bob': 5}\nfor name, score in scores.items():\n    print(f'{name}: {score}')\n```",
    },
    {
        "id": "remove_duplicates",
        "reference": """def remove_duplicates(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
""",
        "tests": "assert remove_duplicates([1, 2, 1, 3, 2]) == [1, 2, 3]\nassert remove_duplicates([]) == []\nassert remove_duplicates(['a', 'a']) == ['a']\n",
        "reordered": """def remove_duplicates(items):
    result = []
    seen = set()
    for item in items:
        if item in seen:
            continue
        result.append(item)
        seen.add(item)
    return result
""",
        "styles": [
            "def remove_duplicates(items):\n    return list(dict.fromkeys(items))\n",
            "def remove_duplicates(items):\n    result = []\n    for item in items:\n        if item not in result:\n            result.append(item)\n    return result\n",
        ],
        "pseudo": """1. Create an empty set for the items seen so far and an empty result list.
2. Loop over each item in the input.
3. If the item is not in the seen set, add it to the set and append it to the result.
4. Return the result list.""",
        "hints": [
            "`set(items)` removes duplicates, but the test also checks the order. Does a set keep the order?",
            "You need to remember which items you have already kept. Which data structure makes 'have I seen this?' fast?",
        ],
        "concepts": [
            "Sets hold each value once: `{1, 2, 2}` is `{1, 2}`, and `s.add(x)` puts x in the set.",
            "`list.append(x)` adds x at the end of the list and returns None, so don't write `items = items.append(x)`.",
        ],
        "unrelated": "```python\nimport time\nstart = time.perf_counter()\nsum(range(1000))\nprint(time.perf_counter() - start)\n```",
    },
]
