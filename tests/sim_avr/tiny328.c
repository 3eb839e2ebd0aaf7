/* A program for the wrong chip: loading it must fail with a clear error. */
int main(void)
{
    for (;;)
        ;
}
