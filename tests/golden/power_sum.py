def power_sum_jvp(x, n, dx):
    """Value and JVP of power_sum w.r.t. x."""
    acc = 0.0
    dacc = 0.0
    for i in range(n):
        t1 = x ** i
        dt1 = i * x ** (i - 1 + (i == 0)) * dx
        acc = acc + t1
        dacc = dacc + dt1
    return acc, dacc
