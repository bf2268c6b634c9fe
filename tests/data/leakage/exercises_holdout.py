# ruff: noqa: E501  (answers are data: one string per answer, as written)
"""Holdout exercises, written after the scorer's rules and threshold were frozen
(commit 86ffdbc); nothing in ainative.tutor.leakage was changed after they were added."""

EXERCISES = [
    {
        "id": "average",
        "reference": """def average(values):
    if not values:
        return 0.0
    total = 0
    for v in values:
        total += v
    return total / len(values)
""",
        "tests": "assert average([1, 2, 3]) == 2\nassert average([]) == 0.0\nassert average([5]) == 5\n",
        "reordered": """def average(values):
    total = 0
    if len(values) == 0:
        return 0.0
    for v in values:
        total = total + v
    return total / len(values)
""",
        "styles": [
            "def average(values):\n    return sum(values) / len(values) if values else 0.0\n"
        ],
        "pseudo": """1. If the list is empty, return 0.0.
2. Start with a total of 0.
3. Loop over each value and add it to the total.
4. Return the total divided by the number of values.""",
        "hints": [
            "What happens when you divide by `len(values)` and the list is empty? What should the function give then?",
            "Do you know a built-in that adds up a list? Look it up before writing your own loop.",
        ],
        "concepts": [
            "Division with `/` always gives a float in Python 3: `4 / 2` is `2.0`; `//` rounds down.",
            "An empty list is falsy: `if not items:` is true exactly when `items == []`.",
        ],
        "unrelated": "```python\nimport statistics\nprint(statistics.median([3, 1, 2]))\nprint(statistics.stdev([1, 2, 3, 4]))\n```",
    },
    {
        "id": "count_words_longer",
        "reference": """def count_long_words(sentence, length):
    count = 0
    for word in sentence.split():
        if len(word) > length:
            count += 1
    return count
""",
        "tests": "assert count_long_words('a bb ccc', 1) == 2\nassert count_long_words('', 3) == 0\nassert count_long_words('hello world', 5) == 0\n",
        "reordered": """def count_long_words(sentence, length):
    words = sentence.split()
    count = 0
    for word in words:
        if length < len(word):
            count += 1
    return count
""",
        "styles": [
            "def count_long_words(sentence, length):\n    return sum(1 for w in sentence.split() if len(w) > length)\n"
        ],
        "pseudo": """- Set a counter to 0.
- Split the sentence into words and go through each word.
- If the word's length is greater than the given length, increment the counter.
- Return the counter.""",
        "hints": [
            "How do you turn a sentence into a list of words? Try `'a b'.split()` in a cell.",
            "Is 'longer than 5' the same as `>= 5`? Check the third test.",
        ],
        "concepts": [
            "`len` works on strings, lists and dicts: `len('abc')` is 3, `len([1, 2])` is 2.",
            "A counter that goes up by one inside a loop:\n\n```python\nn = 0\nfor line in lines:\n    n += 1\n```\n\ncounts the lines.",
        ],
        "unrelated": "```python\nimport re\nprint(re.findall(r'\\d+', 'a1b22c333'))\n```",
    },
    {
        "id": "gcd",
        "reference": """def gcd(a, b):
    while b != 0:
        a, b = b, a % b
    return a
""",
        "tests": "assert gcd(12, 18) == 6\nassert gcd(7, 3) == 1\nassert gcd(10, 0) == 10\n",
        "reordered": """def gcd(a, b):
    while b:
        remainder = a % b
        a = b
        b = remainder
    return a
""",
        "styles": ["def gcd(a, b):\n    if b == 0:\n        return a\n    return gcd(b, a % b)\n"],
        "pseudo": """1. While the second number is not zero, repeat:
2. Replace the pair (a, b) with (b, remainder of a divided by b), updating both at once.
3. When b is zero, return a.""",
        "hints": [
            "Euclid noticed that gcd(a, b) equals gcd(b, a % b). What happens to the numbers if you apply that again and again?",
            "When should your loop stop? What is gcd(a, 0)?",
        ],
        "concepts": [
            "`%` is the remainder: `17 % 5` is 2. It is handy for 'divides evenly' checks like `n % d == 0`.",
            "A while loop runs as long as its condition holds:\n\n```python\nn = 10\nwhile n > 0:\n    n -= 3\n```",
        ],
        "unrelated": "```python\nfrom fractions import Fraction\nprint(Fraction(6, 8))\n```",
    },
    {
        "id": "flatten",
        "reference": """def flatten(nested):
    flat = []
    for sub in nested:
        for x in sub:
            flat.append(x)
    return flat
""",
        "tests": "assert flatten([[1, 2], [3]]) == [1, 2, 3]\nassert flatten([]) == []\nassert flatten([[], [4]]) == [4]\n",
        "reordered": """def flatten(nested):
    flat = []
    for sub in nested:
        flat.extend(sub)
    return flat
""",
        "styles": [
            "def flatten(nested):\n    return [x for sub in nested for x in sub]\n",
            "def flatten(nested):\n    return sum(nested, [])\n",
        ],
        "pseudo": """1. Create an empty result list.
2. Loop over each inner list.
3. Inside that, loop over each element of the inner list and append it to the result.
4. Return the result.""",
        "hints": [
            "You need to look at every element of every inner list. How many loops does that take?",
            "`append` adds one element; is there a list method that adds all elements of another list?",
        ],
        "concepts": [
            "Nested loops visit every pair:\n\n```python\nfor row in 'ab':\n    for col in '12':\n        print(row + col)\n```\n\nprints a1 a2 b1 b2.",
            "`[1, 2] + [3]` is `[1, 2, 3]`: adding lists concatenates them.",
        ],
        "unrelated": "```python\nimport itertools\nfor pair in itertools.combinations('abc', 2):\n    print(pair)\n```",
    },
    {
        "id": "capitalize_words",
        "reference": """def capitalize_words(text):
    words = []
    for word in text.split():
        words.append(word[0].upper() + word[1:].lower())
    return " ".join(words)
""",
        "tests": "assert capitalize_words('hello world') == 'Hello World'\nassert capitalize_words('') == ''\nassert capitalize_words('pYTHON') == 'Python'\n",
        "reordered": """def capitalize_words(text):
    parts = text.split()
    words = []
    for word in parts:
        first = word[0].upper()
        words.append(first + word[1:].lower())
    return " ".join(words)
""",
        "styles": [
            "def capitalize_words(text):\n    return ' '.join(w.capitalize() for w in text.split())\n"
        ],
        "pseudo": """1. Split the text into words and start with an empty list.
2. For each word, make its first letter upper case and the rest lower case, and append it to the list.
3. Return the words joined with single spaces.""",
        "hints": [
            "How do you get the first character of a string, and everything after it? Think about indexing and slicing.",
            "After changing each word you have a list. Which string method glues a list of strings together?",
        ],
        "concepts": [
            "`'-'.join(['a', 'b', 'c'])` gives 'a-b-c': the string you call join on goes between the parts.",
            "Slicing a string: `'python'[1:]` is 'ython', `'python'[:2]` is 'py'.",
        ],
        "unrelated": "```python\nimport textwrap\nprint(textwrap.fill('a long line of text ' * 5, width=30))\n```",
    },
]
